/*
 * semaphore.pml: the permit count and waiter count of src/semaphore.ts.
 *
 * Mirrors (see models/README.md for the line table):
 *   try_take      tryTake (semaphore.ts:80-88)
 *   acquire_slow  acquireSlow (semaphore.ts:153-177), after the fast tryTake of #acquireSync
 *                 (semaphore.ts:305)
 *   release       Semaphore.release(n) (semaphore.ts:364-400), unbounded, no attribution
 *
 * Slots as in the code: mem[VALUE] permits, mem[WAITERS] threads in the slow path, mem[ASYNC]
 * async waiters registered on VALUE. Owner death (attributed permits, reclaim/keepOne) is not
 * modelled: no permit here is attributed, so reclaim finds none (semaphore.ts:163).
 *
 * Workload: acquirer A (no timeout) takes a permit; acquirer B (with a deadline, each park sync or
 * async) takes one or gives up, and with B_GIVES_BACK releases it again; releaser R calls
 * release(RELEASE_N) once, from 0 permits. Two configurations, both verified:
 *   default        RELEASE_N 1, B gives back: the woken waiter must use the wake-up or pass it on
 *   -DRELEASE_N=2 -DB_GIVES_BACK=0: release(2) must wake two sleepers
 * In both every run can end, so a waiter asleep at the end with a permit there is a lost wake-up
 * (an invalid end state).
 *
 * Properties: permits taken never exceed permits released (ghosts), no invalid end state.
 *
 * Mutants (spin -DMUTANT_...):
 *   MUTANT_WAKE_ONE              release(n) wakes one sleeper, not n (:398)
 *   MUTANT_WAITERS_FIRST         release reads WAITERS before raising VALUE (:397 before :390)
 *   MUTANT_DEADLINE_BEFORE_TAKE  a woken waiter checks its deadline before it tries to take
 *                                (:166 before :160)
 *   MUTANT_NO_WAITERS_COUNT      the slow path does not count itself in WAITERS (:155)
 */

#define NPROC 3
#define VALUE 0
#define WAITERS 1
#define ASYNC 2
#define NSLOTS 3
#define SPURIOUS 1
#ifndef RELEASE_N
#define RELEASE_N 1
#endif
#ifndef B_GIVES_BACK
#define B_GIVES_BACK 1
#endif

#include "futex.pml"

/* Ghosts: permits released and taken so far. */
byte released, taken;

/* tryTake (semaphore.ts:80): sets `took`. */
inline try_take() {
  value = mem[VALUE];                                   /* :81 */
  do
  :: value > 0 ->                                       /* :82 */
    atomic {                                            /* :83-85 CAS value -> value - 1 */
      if
      :: mem[VALUE] == value ->
        mem[VALUE] = value - 1; took = true;
        taken++; assert(taken <= released)
      :: else -> value = mem[VALUE]
      fi
    }
    if
    :: took -> break                                    /* :84 */
    :: else -> skip
    fi
  :: else -> break                                      /* :87 */
  od;
  value = 0
}

/* acquireSlow (semaphore.ts:153), returns with `took` or gives up (`expired`). */
inline acquire_slow() {
#ifndef MUTANT_NO_WAITERS_COUNT
  mem[WAITERS]++;                                       /* :155 count ourselves first */
#endif
  do
  :: true ->
#ifdef MUTANT_DEADLINE_BEFORE_TAKE
    if
    :: timed && !expired -> expired = true
    :: true -> skip
    fi;
    if
    :: expired -> break
    :: else -> skip
    fi;
#endif
    try_take();                                         /* :160 */
    if
    :: took -> break
    :: else -> skip
    fi;
    /* :163 reclaim: no attributed permits */
    if                                                  /* :165-166 the deadline may pass */
    :: timed && !expired -> expired = true
    :: true -> skip
    fi;
    if
    :: expired -> break                                 /* :166 */
    :: else ->
      if                                                /* :171 runSync or runAsync */
      :: asyncWait -> futex_wait_async(me - 1, VALUE, 0, ASYNC, timed, expired, false, res)
      :: true -> futex_wait(me - 1, VALUE, 0, timed, expired, false, res)
      fi;
      res = OK
    fi
  od;
#ifndef MUTANT_NO_WAITERS_COUNT
  mem[WAITERS]--                                        /* :175 finally */
#else
  skip
#endif
}

/* release(n) (semaphore.ts:364). */
inline release(n) {
#ifdef MUTANT_WAITERS_FIRST
  w = mem[WAITERS]; w = w + mem[ASYNC];
#endif
  value = mem[VALUE];                                   /* :380 */
  do
  :: true ->
    atomic {                                            /* :390 CAS value -> value + n */
      if
      :: mem[VALUE] == value -> mem[VALUE] = value + n; released = released + n; ok = true
      :: else -> value = mem[VALUE]                     /* :392 */
      fi
    }
    if
    :: ok -> break                                      /* :391 */
    :: else -> skip
    fi
  od;
#ifndef MUTANT_WAITERS_FIRST
  w = mem[WAITERS];                                     /* :397 */
  w = w + mem[ASYNC];
#endif
  if
#ifdef MUTANT_WAKE_ONE
  :: w != 0 -> futex_wake(VALUE, 1, ASYNC, wk)
#else
  :: w != 0 -> futex_wake(VALUE, n, ASYNC, wk)          /* :398 */
#endif
  :: else -> skip
  fi;
  atomic { value = 0; w = 0; ok = false }
}

/* One acquire (fast tryTake, then the slow path); `givesBack`: releases the permit after. */
proctype Acquirer(byte me; bool timed; bool asyncWait; bool givesBack) {
  byte value, res, w, wk;
  bool took, expired, ok;
  try_take();                                           /* :305 fast path */
  if
  :: !took -> acquire_slow()
  :: else -> skip
  fi;
  if
  :: took && givesBack -> release(1)
  :: else -> skip
  fi
}

proctype Releaser(byte me) {
  byte value, w, wk;
  bool ok;
  release(RELEASE_N)
}

init {
  atomic {
    byte k;
    for (k : 0 .. NPROC - 1) {
      waitOn[k] = NONE
    }
    run Acquirer(1, false, false, false);
    run Acquirer(2, true, true, B_GIVES_BACK);
    run Releaser(3)
  }
}
