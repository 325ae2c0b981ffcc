/*
 * Background load for latency.bench.ts: openat(O_RDONLY)+close of one file at a steady rate of opens per second,
 * paced in 1 ms slices against a monotonic clock, until SIGTERM. Prints "<opens> <elapsed ns>" on exit so the
 * bench can report the rate actually achieved. Dies with its parent (the bench) if that goes first.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig) { (void)sig; stop = 1; }

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: openload OPENS_PER_SEC FILE\n"); return 2; }
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  signal(SIGTERM, on_term);
  double rate = atof(argv[1]);
  const char *path = argv[2];
  long long start = now_ns();
  long long opens = 0;
  while (!stop) {
    long long target = (long long)(rate * (double)(now_ns() - start) / 1e9);
    while (opens < target && !stop) {
      int fd = openat(AT_FDCWD, path, O_RDONLY);
      if (fd >= 0) close(fd);
      opens++;
    }
    struct timespec slice = { 0, 1000000 };
    nanosleep(&slice, NULL);
  }
  printf("%lld %lld\n", opens, now_ns() - start);
  return 0;
}
