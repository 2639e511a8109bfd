/*
 * Reference figures in C for the threadkit benchmarks (printed beside them, never gating).
 * Compiled at bench time by bench/harness/reference.ts: cc -O2 -pthread reference.c
 *
 *   ./reference <runs> <scale>
 *
 * prints one JSON object per line: {"name": ..., "unit": ..., "samples": [ns, ...]}
 *   c.cas-store        CAS(0 -> 2) + store(0), seq_cst, one thread       ns/op
 *   c.pthread-mutex    pthread_mutex_lock + unlock, uncontended           ns/op
 *   c.futex-pingpong   two threads pass a token through FUTEX_WAIT/WAKE   ns/round trip
 *   c.mutex-contended-N  N threads increment under one pthread mutex     ns/increment
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void print_samples(const char *name, const char *unit, const double *samples, int runs) {
  printf("{\"name\":\"%s\",\"unit\":\"%s\",\"samples\":[", name, unit);
  for (int i = 0; i < runs; i++) printf("%s%.3f", i ? "," : "", samples[i]);
  printf("]}\n");
  fflush(stdout);
}

static atomic_int word;

static double cas_store(long n) {
  double t0 = now_ns();
  for (long i = 0; i < n; i++) {
    int expected = 0;
    if (atomic_compare_exchange_strong(&word, &expected, 2)) atomic_store(&word, 0);
  }
  return (now_ns() - t0) / (double)n;
}

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;

static double mutex_uncontended(long n) {
  double t0 = now_ns();
  for (long i = 0; i < n; i++) {
    pthread_mutex_lock(&mutex);
    pthread_mutex_unlock(&mutex);
  }
  return (now_ns() - t0) / (double)n;
}

#ifdef __linux__
static atomic_int token;
static long pingpong_n;

static void futex_wait(atomic_int *addr, int expected) {
  syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake(atomic_int *addr) {
  syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *pong(void *arg) {
  (void)arg;
  for (long i = 0; i < pingpong_n; i++) {
    while (atomic_load(&token) == 0) futex_wait(&token, 0);
    atomic_store(&token, 0);
    futex_wake(&token);
  }
  return NULL;
}

static double futex_pingpong(long n) {
  pingpong_n = n;
  atomic_store(&token, 0);
  pthread_t thread;
  pthread_create(&thread, NULL, pong, NULL);
  double t0 = now_ns();
  for (long i = 0; i < n; i++) {
    atomic_store(&token, 1);
    futex_wake(&token);
    while (atomic_load(&token) == 1) futex_wait(&token, 1);
  }
  double t = now_ns() - t0;
  pthread_join(thread, NULL);
  return t / (double)n;
}
#endif

static long contended_n;
static long counter;

static void *increment(void *arg) {
  (void)arg;
  for (long i = 0; i < contended_n; i++) {
    pthread_mutex_lock(&mutex);
    counter++;
    pthread_mutex_unlock(&mutex);
  }
  return NULL;
}

static double mutex_contended(int threads, long n) {
  pthread_t ids[16];
  contended_n = n;
  counter = 0;
  double t0 = now_ns();
  for (int i = 0; i < threads; i++) pthread_create(&ids[i], NULL, increment, NULL);
  for (int i = 0; i < threads; i++) pthread_join(ids[i], NULL);
  double t = now_ns() - t0;
  if (counter != n * threads) {
    fprintf(stderr, "lost increments: %ld of %ld\n", counter, n * threads);
    exit(1);
  }
  return t / (double)(n * threads);
}

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 5;
  double scale = argc > 2 ? atof(argv[2]) : 1.0;
  if (runs < 1 || runs > 100) runs = 5;
  double samples[100];

  cas_store((long)(1e6 * scale)); /* warm-up */
  for (int r = 0; r < runs; r++) samples[r] = cas_store((long)(2e7 * scale));
  print_samples("c.cas-store", "ns/op", samples, runs);

#ifdef __linux__
  futex_pingpong((long)(1e3 * scale) + 1);
  for (int r = 0; r < runs; r++) samples[r] = futex_pingpong((long)(2e4 * scale) + 1);
  print_samples("c.futex-pingpong", "ns/round trip", samples, runs);
#endif

  /* After threads have existed, so glibc uses its multi-threaded (locked) paths. */
  for (int r = 0; r < runs; r++) samples[r] = mutex_uncontended((long)(2e7 * scale));
  print_samples("c.pthread-mutex", "ns/op", samples, runs);

  int counts[] = {2, 4, 8};
  for (int k = 0; k < 3; k++) {
    char name[64];
    for (int r = 0; r < runs; r++) samples[r] = mutex_contended(counts[k], (long)(1e6 * scale) + 1);
    snprintf(name, sizeof name, "c.mutex-contended-%d", counts[k]);
    print_samples(name, "ns/increment", samples, runs);
  }
  return 0;
}
