/** The two databases Tally stores its ledger in. */
export type Dialect = 'sqlite' | 'postgres';

/** Whether a `--database` value names a PostgreSQL server. */
export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//i.test(url);
}
