#!/usr/bin/env node
// Builds dist/: the `tally` command as one ES module bundle (dist/cli.js) plus the chunks its
// lazily loaded commands need, made by esbuild from src/. Type checking is `npm run typecheck`.
//
// Why a bundle: the server's dependency tree is some 500 modules (Fastify, AJV, TypeBox, Kysely,
// pino, …). Loading them one file at a time (resolve, stat, read, compile) took about 0.5 s of
// every start, half of the start-up budget of issue #7; one file loads in a fraction of that.
// `--splitting` keeps dynamic imports as separate chunks, so `tally report` still does not load
// the server (src/cli.ts).
//
// What stays outside the bundle, loaded from node_modules as before:
// - better-sqlite3: a native addon, found through its own `bindings` lookup;
// - pg: only loaded for PostgreSQL, and it probes for the optional `pg-native` at run time;
// - pdfkit: reads its font metrics from files beside its own code;
// - @fastify/swagger-ui: serves the Swagger UI's static files from its own directory;
// - selfsigned: only loaded when a certificate is made.
import { renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

// Not import.meta.dirname: that needs Node 20.11, and `npm ci` runs this on any Node 20.
const root = fileURLToPath(new URL('..', import.meta.url));
const dist = path.join(root, 'dist');
// Built beside dist/ and swapped in when complete: a failed build leaves the previous one whole.
const outdir = path.join(root, `dist.building-${process.pid}`);

const EXTERNAL = ['better-sqlite3', 'pg', 'pg-native', 'pdfkit', '@fastify/swagger-ui', 'selfsigned'];

rmSync(outdir, { recursive: true, force: true });
try {
  await build({
    // The ingestion worker thread is its own entry (dist/ingestion-worker.js), sharing chunks with the command.
    entryPoints: { cli: path.join(root, 'src', 'cli.ts'), 'ingestion-worker': path.join(root, 'src', 'services', 'ingestionWorker.ts') },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    sourcemap: 'linked',
    // Chunks are named by content: a process started from an earlier build that loads a command
    // lazily after a rebuild would not find its chunk, so rebuild while no tally process starts.
    chunkNames: 'chunks/[name]-[hash]',
    // CommonJS dependencies inside an ES module bundle call `require` for Node's built-ins.
    banner: { js: "import { createRequire as __tallyCreateRequire } from 'node:module';\nconst require = __tallyCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
} catch (error) {
  rmSync(outdir, { recursive: true, force: true });
  throw error;
}
rmSync(dist, { recursive: true, force: true });
renameSync(outdir, dist);
