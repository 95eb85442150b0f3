/**
 * Applies a VSPC collection query to the items of a collection: filter, then sort, then the page
 * (`limit`/`offset`), then select; answers `{data, meta.pagingInfo}`. A malformed expression is a
 * 400 naming its parameter.
 */
import type { FastifyReply } from 'fastify';
import type { Static } from 'typebox';
import { sendErrors } from './errors.js';
import { matches, parseFilter, parseSelect, parseSort, QueryError, selectFields, sortItems } from './query.js';
import type { CollectionQuery } from './schemas.js';

export function collectionPage<T>(items: readonly T[], query: Static<typeof CollectionQuery>, reply: FastifyReply) {
  let filter, sort, select;
  try {
    filter = query.filter ? parseFilter(query.filter) : [];
    sort = query.sort ? parseSort(query.sort) : [];
    select = query.select ? parseSelect(query.select) : [];
  } catch (error) {
    if (error instanceof QueryError) {
      return sendErrors(reply, 400, { message: error.message, type: 'logical', parameterName: error.parameterName });
    }
    throw error;
  }
  const { limit = 100, offset = 0 } = query;
  const kept = sortItems(items.filter((item) => matches(item, filter)), sort);
  const page = kept.slice(offset, offset + limit);
  return {
    // A selection is a projection of the item; the serializer writes whatever fields it keeps.
    data: select.length > 0 ? page.map((item) => selectFields(item, select) as T) : page,
    meta: { pagingInfo: { total: kept.length, count: page.length, offset } },
  };
}
