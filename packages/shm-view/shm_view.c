/*
 * mapShared(fd, length): a read-only MAP_SHARED mapping of the first `length` bytes of an open
 * file, as an ArrayBuffer. Tally maps the WAL-index header of its SQLite database (the `-shm`
 * file, which SQLite itself maps the same way) so that the "did anything commit?" check of every
 * request is a memory read instead of a pread(2). The mapping is released when the ArrayBuffer is
 * collected; it holds no lock and does not keep the descriptor open.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

static void unmap(napi_env env, void *data, void *hint) {
  (void)env;
  munmap(data, (size_t)(uintptr_t)hint);
}

static napi_value map_shared(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  int64_t length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int64(env, argv[1], &length) != napi_ok ||
      fd < 0 || length <= 0) {
    napi_throw_type_error(env, NULL, "mapShared(fd, length): an open descriptor and a positive length");
    return NULL;
  }
  /* Reading a mapped page past the end of the file raises SIGBUS: map only what the file holds. */
  struct stat st;
  if (fstat(fd, &st) != 0) {
    napi_throw_error(env, NULL, strerror(errno));
    return NULL;
  }
  if (st.st_size < length) {
    napi_throw_range_error(env, NULL, "mapShared: the file is shorter than the length asked for");
    return NULL;
  }
  void *data = mmap(NULL, (size_t)length, PROT_READ, MAP_SHARED, fd, 0);
  if (data == MAP_FAILED) {
    napi_throw_error(env, NULL, strerror(errno));
    return NULL;
  }
  napi_value buffer;
  if (napi_create_external_arraybuffer(env, data, (size_t)length, unmap, (void *)(uintptr_t)length, &buffer) != napi_ok) {
    munmap(data, (size_t)length);
    napi_throw_error(env, NULL, "mapShared: this runtime does not allow external array buffers");
    return NULL;
  }
  return buffer;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "mapShared", NAPI_AUTO_LENGTH, map_shared, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "mapShared", fn) != napi_ok) return NULL;
  return exports;
}
