/*
 * semaphore.pml: the permit count, the waiter count and the hand-off word of src/semaphore.ts.
 *
 * Mirrors (see models/README.md for the line table):
 *   try_take      tryTake (semaphore.ts:153-161)
 *   acquire_slow  acquireSlow (semaphore.ts:339-410), after the fast tryTake of #acquireSync
 *                 (semaphore.ts:583)
 *   release       Semaphore.release(n) (semaphore.ts:661-717): the look at STARVE (:675/:695),
 *                 the raise of VALUE by what is not owed (:709), handOff (:714, 256-269), the
 *                 owed permits nobody lacks any more back to VALUE (:715), raised (:716);
 *                 unbounded, no attribution
 *   raised        raised (semaphore.ts:215-222), rescue (230-250)
 *   take_handed, starve, unstarve   (semaphore.ts:276-319)
 *
 * Slots as in the code: mem[VALUE] permits, mem[WAITERS] threads in the slow path, mem[ASYNC]
 * async waiters registered on VALUE, mem[STARVE] the hand-off word, mem[SASYNC] async waiters
 * registered on STARVE. STARVE is `s * 16 + h` here (`s << 16 | h` in the code): s starving
 * waiters, h permits handed to them. Owner death (attributed permits, reclaim/keepOne) is not
 * modelled: no permit here is attributed, so reclaim finds none (semaphore.ts:376).
 *
 * Time: a waiter that is not starving parks with the starve timer (:398), which may fire at any
 * moment of that sleep (it fires once: the waiter is then due); a due waiter that has parked
 * before counts itself starving (:384) and looks again before sleeping, on STARVE (:393). A
 * timed waiter's own deadline may pass at its check (:382) or while it sleeps on STARVE.
 *
 * Workload: acquirer A (no timeout) takes a permit; acquirer B (with a deadline, each park sync or
 * async) takes one or gives up, and with B_GIVES_BACK releases it again; releaser R calls
 * release(RELEASE_N) once, from 0 permits. Two configurations, both verified:
 *   default        RELEASE_N 1, B gives back: the woken waiter must use the wake-up or pass it on;
 *                  a permit handed to B as B times out must reach A
 *   -DRELEASE_N=2 -DB_GIVES_BACK=0: release(2) must wake two sleepers
 * In both every run can end, so a waiter asleep at the end with a permit there for it is a lost
 * wake-up (an invalid end state). -DNO_HANDOFF takes the hand-off out (no waiter starves: the
 * semaphore as it was before it), also verified; the mutants of the VALUE protocol run with it,
 * since with the hand-off a sleeper that is not starving wakes by its starve timer, so a lost
 * wake on VALUE costs it at most STARVE_AFTER_MS (a latency no end-state check sees, and a
 * safety net the code has too), as the lock word's PARKED mutants do (lock_word.pml).
 *
 * Properties: permits taken never exceed permits released (ghosts); h <= s after every change of
 * STARVE that can raise h or lower s (assertions); once every
 * process has ended, VALUE + h = released - taken and s = 0 (no permit lost, none left reserved
 * for nobody); no invalid end state.
 *
 * Mutants (spin -DMUTANT_...):
 *   MUTANT_WAKE_ONE              release(n) wakes one sleeper, not n (:221)
 *   MUTANT_WAITERS_FIRST         release reads WAITERS before raising VALUE (:219 before :709)
 *   MUTANT_DEADLINE_BEFORE_TAKE  a woken waiter checks its deadline before it tries to take
 *                                (:382 before :359-370)
 *   MUTANT_NO_WAITERS_COUNT      the slow path does not count itself in WAITERS (:345)
 *   MUTANT_UNSTARVE_DROPS_HANDED a starving waiter that leaves uncounts itself and the permit
 *                                handed to it, without returning that permit to VALUE (:307-312)
 *   MUTANT_NO_RESCUE             raised() does not look at STARVE (:220): a waiter that starves
 *                                after the release looked sleeps on STARVE beside a permit
 *   MUTANT_TAKER_SKIPS_LOOK      a starving waiter that takes a handed permit does not look at
 *                                VALUE (:367; the first version of the code): the permit was
 *                                handed for another starving waiter's lack, who may sleep beside
 *                                a permit left in VALUE
 *   MUTANT_STALE_SLEEP_WORD      a starving waiter sleeps on the STARVE it read before looking
 *                                for a handed permit, not on the word takeHanded saw last (the
 *                                first version of the code; the word can come back to that
 *                                value with a permit handed, ABA, and the sleeper misses it)
 */

#define NPROC 3
#define VALUE 0
#define WAITERS 1
#define ASYNC 2
#define STARVE 3
#define SASYNC 4
#define NSLOTS 5
#define SPURIOUS 1
#define ONE_STARVING 16
#ifndef RELEASE_N
#define RELEASE_N 1
#endif
#ifndef B_GIVES_BACK
#define B_GIVES_BACK 1
#endif

#include "futex.pml"

/*
 * How a sleeper that is not starving wakes by time (:398): its starve timer, once (its deadline
 * is then judged at :382); without the hand-off, its deadline.
 */
#ifdef NO_HANDOFF
#define TIMER timed
#define FIRED expired
#else
#define TIMER (!due)
#define FIRED due
#endif

/* Ghosts: permits released and taken so far. */
byte released, taken;

#define S(w) ((w) / ONE_STARVING)
#define H(w) ((w) % ONE_STARVING)
#define LACKING(w) (S(w) - H(w))

/* tryTake (semaphore.ts:153): sets `got`; `ghost`: an acquirer's take (not rescue's move). */
inline try_take(ghost, got) {
  value = mem[VALUE];                                   /* :154 */
  do
  :: value > 0 ->                                       /* :155 */
    atomic {                                            /* :156 CAS value -> value - 1 */
      if
      :: mem[VALUE] == value ->
        mem[VALUE] = value - 1; got = true;
        if
        :: ghost -> taken++; assert(taken <= released)
        :: else -> skip
        fi
      :: else -> value = mem[VALUE]
      fi
    }
    if
    :: got -> break                                     /* :157 */
    :: else -> skip
    fi
  :: else -> break                                      /* :160 */
  od;
  value = 0
}

/* rescue (semaphore.ts:230): move permits from VALUE to starving waiters that lack one. */
inline rescue() {
  moved = false;
  word = mem[STARVE];                                   /* :232 */
  do
  :: LACKING(word) > 0 ->                               /* :233 */
    carry = false;
    try_take(false, carry);
    if
    :: !carry -> break                                  /* :233 VALUE empty */
    :: else -> skip
    fi;
    do                                                  /* :235 we hold one permit */
    :: LACKING(word) <= 0 -> mem[VALUE]++; break        /* :236-238 back to VALUE */
    :: else ->
      atomic {                                          /* :240 CAS h + 1 */
        if
        :: mem[STARVE] == word ->
          mem[STARVE] = word + 1; carry = false; moved = true;
          assert(H(mem[STARVE]) <= S(mem[STARVE]))
        :: else -> word = mem[STARVE]
        fi
      }
      if
      :: !carry -> break                                /* :242-243 handed */
      :: else -> skip
      fi
    od;
    word = mem[STARVE]                                  /* :247 */
  :: else -> break
  od;
  carry = false;
  if
  :: moved -> futex_wake(STARVE, ALL, SASYNC, wk)       /* :249 */
  :: else -> skip
  fi;
  word = 0; moved = false
}

/* raised(n) (semaphore.ts:215): after VALUE was raised by n. */
inline raised(n) {
#ifndef MUTANT_WAITERS_FIRST
  w = mem[WAITERS];                                     /* :219 */
  w = w + mem[ASYNC];
#endif
  if
  :: w != 0 ->
#ifndef MUTANT_NO_RESCUE
    if
    :: mem[STARVE] != 0 -> rescue()                     /* :220 */
    :: else -> skip
    fi;
#endif
#ifdef MUTANT_WAKE_ONE
    futex_wake(VALUE, 1, ASYNC, wk)
#else
    futex_wake(VALUE, n, ASYNC, wk)                     /* :221 */
#endif
  :: else -> skip
  fi;
  w = 0
}

/*
 * takeHanded (semaphore.ts:276): sets `took` and clears `starving` on success; else `seen` is the
 * word it saw last, with h = 0 (the value to sleep on).
 */
inline take_handed() {
  word = mem[STARVE];                                   /* :277 */
  do
  :: H(word) != 0 ->
    atomic {                                            /* :279 CAS (s, h) -> (s-1, h-1) */
      if
      :: mem[STARVE] == word ->
        mem[STARVE] = word - ONE_STARVING - 1; took = true; starving = false;
        taken++; assert(taken <= released)
      :: else -> word = mem[STARVE]
      fi
    }
    if
    :: took -> break
    :: else -> skip
    fi
  :: else ->
#ifdef MUTANT_STALE_SLEEP_WORD
    skip; break
#else
    seen = word; break
#endif
  od;
  word = 0
}

/* unstarve (semaphore.ts:304): a starving waiter leaves without a handed permit. */
inline unstarve() {
  word = mem[STARVE];                                   /* :305 */
  do
  :: true ->
    atomic {                                            /* :307-308 CAS */
      if
      :: mem[STARVE] == word ->
#ifdef MUTANT_UNSTARVE_DROPS_HANDED
        if
        :: H(word) == S(word) -> mem[STARVE] = word - ONE_STARVING - 1
        :: else -> mem[STARVE] = word - ONE_STARVING
        fi;
        excess = false;
#else
        excess = (H(word) == S(word));
        if
        :: excess -> mem[STARVE] = word - ONE_STARVING - 1
        :: else -> mem[STARVE] = word - ONE_STARVING
        fi;
#endif
        ok = true; assert(H(mem[STARVE]) <= S(mem[STARVE]))
      :: else -> word = mem[STARVE]
      fi
    }
    if
    :: ok -> break
    :: else -> skip
    fi
  od;
  ok = false; word = 0;
  if
  :: excess ->
    mem[VALUE]++;                                       /* :311 */
#ifdef MUTANT_WAITERS_FIRST
    w = mem[WAITERS]; w = w + mem[ASYNC];
#endif
    raised(1)                                           /* :312 */
  :: else -> skip
  fi;
  excess = false;
  if                                                    /* :318 settle aborted async waits */
  :: mem[SASYNC] != 0 -> futex_wake(STARVE, ALL, SASYNC, wk)
  :: else -> skip
  fi
}

/* acquireSlow (semaphore.ts:339), returns with `took` or gives up (`expired`). */
inline acquire_slow() {
#ifndef MUTANT_NO_WAITERS_COUNT
  mem[WAITERS]++;                                       /* :345 count ourselves first */
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
#ifdef MUTANT_STALE_SLEEP_WORD
    if
    :: starving -> seen = mem[STARVE]                   /* the word read before the look */
    :: else -> seen = 0
    fi;
#endif
    if
    :: starving -> take_handed()                        /* :359 */
    :: else -> seen = 0
    fi;
    if
    :: took ->
#ifndef MUTANT_TAKER_SKIPS_LOOK
      if
      :: mem[VALUE] != 0 -> rescue()                    /* :367 the look at VALUE */
      :: else -> skip
      fi;
#endif
      break
    :: else -> skip
    fi;
    try_take(true, took);                               /* :370 */
    if
    :: took -> break
    :: else -> skip
    fi;
    /* :376 reclaim: no attributed permits */
    if                                                  /* :381-382 the deadline may pass */
    :: timed && !expired -> expired = true
    :: true -> skip
    fi;
    if
    :: expired -> break                                 /* :382 */
    :: !expired && parked && !starving && due ->
      atomic { mem[STARVE] = mem[STARVE] + ONE_STARVING }; /* :384 starve() */
      starving = true                                   /* :386-387 look again */
    :: else ->
      parked = true;                                    /* :383 since */
      if
      :: starving ->                                    /* :392-396 on STARVE */
        if
        :: asyncWait -> futex_wait_async(me - 1, STARVE, seen, SASYNC, timed, expired, false, res)
        :: true -> futex_wait(me - 1, STARVE, seen, timed, expired, false, res)
        fi
      :: else ->                                        /* :398 on VALUE, the starve timer */
        if
        :: asyncWait -> futex_wait_async(me - 1, VALUE, 0, ASYNC, TIMER, FIRED, false, res)
        :: true -> futex_wait(me - 1, VALUE, 0, TIMER, FIRED, false, res)
        fi
      fi;
      res = OK
    fi
  od;
  if
  :: starving -> unstarve()                             /* :407 finally */
  :: else -> skip
  fi;
#ifndef MUTANT_NO_WAITERS_COUNT
  mem[WAITERS]--                                        /* :408 finally */
#else
  skip
#endif
}

/* release(n) (semaphore.ts:661), the general path (the fast path is it with owed = 0). */
inline release(n) {
  word = mem[STARVE];                                   /* :675 / :695 */
  if
  :: LACKING(word) < n -> owed = LACKING(word)
  :: else -> owed = n
  fi;
  word = 0;
#ifdef MUTANT_WAITERS_FIRST
  w = mem[WAITERS]; w = w + mem[ASYNC];
#endif
  value = mem[VALUE];                                   /* :698 */
  do
  :: owed == n -> released = released + n; break        /* :708 nothing for VALUE */
  :: else ->
    atomic {                                            /* :709 CAS value -> value + n - owed */
      if
      :: mem[VALUE] == value ->
        mem[VALUE] = value + n - owed; released = released + n; ok = true
      :: else -> value = mem[VALUE]
      fi
    }
    if
    :: ok -> break
    :: else -> skip
    fi
  od;
  ok = false; value = 0;
  handed = 0;
  if                                                    /* :714 handOff(owed) */
  :: owed > 0 ->
    word = mem[STARVE];                                 /* :257 */
    do
    :: true ->
      if
      :: LACKING(word) < owed -> k = LACKING(word)      /* :259 */
      :: else -> k = owed
      fi;
      if
      :: k <= 0 -> break                                /* :260 */
      :: else -> skip
      fi;
      atomic {                                          /* :261 CAS h + k */
        if
        :: mem[STARVE] == word ->
          mem[STARVE] = word + k; handed = k; assert(H(mem[STARVE]) <= S(mem[STARVE]))
        :: else -> word = mem[STARVE]
        fi
      }
      if
      :: handed > 0 -> futex_wake(STARVE, ALL, SASYNC, wk); break /* :264 */
      :: else -> skip
      fi
    od;
    word = 0; k = 0
  :: else -> skip
  fi;
  if
  :: handed < owed -> mem[VALUE] = mem[VALUE] + owed - handed /* :715 */
  :: else -> skip
  fi;
  if
  :: handed < n -> raised(n - handed)                   /* :716 */
  :: else -> skip
  fi;
  owed = 0; handed = 0
}

/* One acquire (fast tryTake, then the slow path); `givesBack`: releases the permit after. */
proctype Acquirer(byte me; bool timed; bool asyncWait; bool givesBack) {
  byte value, res, w, wk, word, seen, owed, handed, k;
  bool took, expired, ok, starving, parked, due, moved, excess, carry;
  try_take(true, took);                                 /* :583 fast path */
  if
  :: !took -> acquire_slow()
  :: else -> skip
  fi;
  if
  :: took && givesBack -> took = false; release(1)
  :: else -> skip
  fi
}

proctype Releaser(byte me) {
  byte value, w, wk, word, owed, handed, k;
  bool ok, moved, carry;
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
  /* Every process has ended: the permits are all where they should be. */
  (_nr_pr == 1) ->
  assert(mem[VALUE] + H(mem[STARVE]) == released - taken);
  assert(S(mem[STARVE]) == 0 && H(mem[STARVE]) == 0)
}
