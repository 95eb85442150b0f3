/** A read-only MAP_SHARED mapping of the first `length` bytes of the open file `fd`; throws if the file is shorter. */
export function mapShared(fd: number, length: number): ArrayBuffer;
