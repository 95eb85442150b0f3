/** Everything a route needs: the application context the services define (src/services/context.ts). */
export type { AppContext, VspcEnumStyle } from '../services/context.js';
