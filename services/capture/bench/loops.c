/* Syscall loops for capture.bench.ts: `getpid N` (a syscall capture does not select) and `openclose N` (one it does). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  long n = atol(argv[2]);
  if (strcmp(argv[1], "getpid") == 0) {
    for (long i = 0; i < n; i++) syscall(SYS_getpid);
  } else {
    for (long i = 0; i < n; i++) close(open("/etc/hostname", O_RDONLY));
  }
  return 0;
}
