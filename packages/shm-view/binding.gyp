{
  "targets": [
    {
      "target_name": "shm_view",
      "sources": ["shm_view.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
