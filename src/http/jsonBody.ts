/**
 * Request bodies must be UTF-8 (JSON by RFC 8259 §8.1, NDJSON with it). Node's decoder turns invalid
 * bytes into U+FFFD without a word, so a malformed body would be stored with replacement characters
 * (a reseller named "��") instead of being refused. These decode strictly: invalid UTF-8 is a 400,
 * reported like malformed JSON (a SyntaxError, which every face's error handler answers as such).
 */
import type { FastifyInstance } from 'fastify';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text, or a SyntaxError when it is not valid UTF-8. */
export function decodeUtf8Body(body: Buffer): string | SyntaxError {
  try {
    return strictUtf8.decode(body);
  } catch {
    // With its status, as Fastify's own JSON parser sets it: outside every route (a 404) no face's
    // error handler runs, and Fastify's would otherwise make it a 500.
    return Object.assign(new SyntaxError('the body is not valid UTF-8'), { statusCode: 400 });
  }
}

/** Replaces Fastify's JSON parser with the same parser (prototype poisoning refused) behind a strict UTF-8 decode. */
export function installStrictJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const text = decodeUtf8Body(body as Buffer);
    if (text instanceof SyntaxError) {
      done(text, undefined);
      return;
    }
    parseJson(request, text, done);
  });
}
