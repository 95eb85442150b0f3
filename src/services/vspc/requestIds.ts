/**
 * The VSPC face's `X-Request-id` records (idempotency within 5 minutes), kept in the database so
 * that every node answers a retry alike. The face (http/vspc/idempotency.ts) decides what is
 * recorded and replayed; this is where it is kept.
 */
export {
  claimRequestId, completeRequestId, deleteExpiredRequestIds, findRequestId, releaseRequestId, type StoredAnswer,
} from '../../store/requestIds.js';
