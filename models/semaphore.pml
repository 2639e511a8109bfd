/*
 * semaphore.pml: the permit count with its waiting bit, the waiter count and the hand-off word of
 * src/semaphore.ts.
 *
 * Mirrors (see models/README.md for the line table):
 *   try_take      tryTake (semaphore.ts:232-240)
 *   acquire_slow  acquireSlow (semaphore.ts:434-513), after the fast tryTake of #acquireSync
 *                 (semaphore.ts:773-779): WAITING set at the top of each turn (:452), the park
 *                 on VALUE while it is WAITING with no permit (:497), the decrement of WAITERS
 *                 that calls last_out when it was the last (:511)
 *   last_out      lastOut (semaphore.ts:528-541): clear WAITING, read WAITERS; when a waiter
 *                 came in, set WAITING again, raised(all), and look again if WAITERS is 0
 *   release       Semaphore.release(n) (semaphore.ts:802-865): the one-CAS fast path for n = 1
 *                 on a word without WAITING (:811-821), else the look at STARVE (:837), the
 *                 raise of VALUE by what is not owed (:854), handOff (:862, 351-364), the owed
 *                 permits nobody lacks any more back to VALUE (:863), raised (:864);
 *                 unbounded, no attribution
 *   raised        raised (semaphore.ts:310-317), rescue (325-345)
 *   take_handed, starve, unstarve   (semaphore.ts:371-414)
 *
 * Slots as in the code: mem[VALUE] `permits * 2 + WAITING` (`permits << 1 | WAITING`), mem[WAITERS] threads in the slow path, mem[ASYNC]
 * async waiters registered on VALUE, mem[STARVE] the hand-off word, mem[SASYNC] async waiters
 * registered on STARVE. STARVE is `s * 16 + h` here (`s << 16 | h` in the code): s starving
 * waiters, h permits handed to them. Owner death (attributed permits, reclaim/keepOne) is not
 * modelled: no permit here is attributed, so reclaim finds none (semaphore.ts:475).
 *
 * Time: a waiter that is not starving parks on VALUE with the starve timer only when it finds
 * somebody starving (:509-512), and the timer may fire at any moment of that sleep (it
 * fires once: the waiter is then due); finding nobody starving, it parks until its deadline
 * (:510; the 100 ms liveness poll is left out, so that it cannot hide a lost wake-up). Woken
 * from VALUE by anything, it may be due (time passed). A due waiter that has parked before
 * counts itself starving (:483) and looks again before sleeping, on STARVE (:492). A timed
 * waiter's own deadline may pass at its check (:481) or while it sleeps on STARVE or on VALUE
 * without the starve timer.
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
 * STARVE that can raise h or lower s (assertions); once every process has ended, the permits in
 * VALUE + h = released - taken and s = 0 (no permit lost, none left reserved for nobody), and
 * WAITING is clear with WAITERS 0 (releases are one CAS again); no invalid end state.
 *
 * Mutants (spin -DMUTANT_...):
 *   MUTANT_WAKE_ONE              release(n) wakes one sleeper, not n (:316)
 *   MUTANT_WAITERS_FIRST         release reads WAITERS before raising VALUE (:314 before :854)
 *   MUTANT_DEADLINE_BEFORE_TAKE  a woken waiter checks its deadline before it tries to take
 *                                (:481 before :458-469)
 *   MUTANT_NO_WAITERS_COUNT      the slow path does not count itself in WAITERS (:440)
 *   MUTANT_UNSTARVE_DROPS_HANDED a starving waiter that leaves uncounts itself and the permit
 *                                handed to it, without returning that permit to VALUE (:402-407)
 *   MUTANT_NO_RESCUE             raised() does not look at STARVE (:315): a waiter that starves
 *                                after the release looked sleeps on STARVE beside a permit
 *   MUTANT_TAKER_SKIPS_LOOK      a starving waiter that takes a handed permit does not look at
 *                                VALUE (:466; the first version of the code): the permit was
 *                                handed for another starving waiter's lack, who may sleep beside
 *                                a permit left in VALUE
 *   MUTANT_STALE_SLEEP_WORD      a starving waiter sleeps on the STARVE it read before looking
 *                                for a handed permit, not on the word takeHanded saw last (the
 *                                first version of the code; the word can come back to that
 *                                value with a permit handed, ABA, and the sleeper misses it)
 * The waiting bit (issue 9):
 *   MUTANT_NO_WAITING            a waiter never sets WAITING and sleeps on VALUE = 0 (the code
 *                                before the bit): a one-CAS release misses it (:452, :497)
 *   MUTANT_FAST_IGNORES_WAITING  the one-CAS release raises a word that has WAITING (:813)
 *   MUTANT_LEAVER_READS_FIRST    the last waiter out reads WAITERS before clearing WAITING
 *                                (:531 before :530): a waiter counted in between is missed
 *   MUTANT_LEAVER_ONLY_WAKES     the last waiter out, finding a newcomer, wakes everyone on VALUE
 *                                and STARVE instead of :535-536 (the first version of the code):
 *                                a newcomer about to sleep on STARVE, which the clear does not
 *                                change, sleeps beside a permit a fast release put in VALUE
 *   MUTANT_LEAVER_NO_RECHECK     the last waiter out does not look at WAITERS again (:539): WAITING
 *                                stays set with nobody left to clear it
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
#define WAITING 1
#define PERMIT 2
/* The VALUE word a waiter sleeps on: WAITING and no permit (0, no WAITING, in the mutant). */
#ifdef MUTANT_NO_WAITING
#define SLEEP_WORD 0
#else
#define SLEEP_WORD WAITING
#endif
#ifndef RELEASE_N
#define RELEASE_N 1
#endif
#ifndef B_GIVES_BACK
#define B_GIVES_BACK 1
#endif

#include "futex.pml"

/*
 * How a sleeper that is not starving wakes by time (:497): its starve timer, once (its deadline
 * is then judged at :481); without the hand-off, its deadline.
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

/* tryTake (semaphore.ts:232): sets `got`; `ghost`: an acquirer's take (not rescue's move). */
inline try_take(ghost, got) {
  value = mem[VALUE];                                   /* :233 */
  do
  :: value >= PERMIT ->                                 /* :234 */
    atomic {                                            /* :235 CAS word -> word - PERMIT */
      if
      :: mem[VALUE] == value ->
        mem[VALUE] = value - PERMIT; got = true;
        if
        :: ghost -> taken++; assert(taken <= released)
        :: else -> skip
        fi
      :: else -> value = mem[VALUE]
      fi
    }
    if
    :: got -> break                                     /* :236 */
    :: else -> skip
    fi
  :: else -> break                                      /* :239 */
  od;
  value = 0
}

/* rescue (semaphore.ts:325): move permits from VALUE to starving waiters that lack one. */
inline rescue() {
  moved = false;
  word = mem[STARVE];                                   /* :327 */
  do
  :: LACKING(word) > 0 ->                               /* :328 */
    carry = false;
    try_take(false, carry);
    if
    :: !carry -> break                                  /* :328 VALUE empty */
    :: else -> skip
    fi;
    do                                                  /* :330 we hold one permit */
    :: LACKING(word) <= 0 -> mem[VALUE] = mem[VALUE] + PERMIT; break /* :331-333 back */
    :: else ->
      atomic {                                          /* :335 CAS h + 1 */
        if
        :: mem[STARVE] == word ->
          mem[STARVE] = word + 1; carry = false; moved = true;
          assert(H(mem[STARVE]) <= S(mem[STARVE]))
        :: else -> word = mem[STARVE]
        fi
      }
      if
      :: !carry -> break                                /* :336-338 handed */
      :: else -> skip
      fi
    od;
    word = mem[STARVE]                                  /* :342 */
  :: else -> break
  od;
  carry = false;
  if
  :: moved -> futex_wake(STARVE, ALL, SASYNC, wk)       /* :344 */
  :: else -> skip
  fi;
  word = 0; moved = false
}

/* raised(n) (semaphore.ts:310): after VALUE was raised by n. */
inline raised(n) {
#ifndef MUTANT_WAITERS_FIRST
  w = mem[WAITERS];                                     /* :314 */
  w = w + mem[ASYNC];
#endif
  if
  :: w != 0 ->
#ifndef MUTANT_NO_RESCUE
    if
    :: mem[STARVE] != 0 -> rescue()                     /* :315 */
    :: else -> skip
    fi;
#endif
#ifdef MUTANT_WAKE_ONE
    futex_wake(VALUE, 1, ASYNC, wk)
#else
    futex_wake(VALUE, n, ASYNC, wk)                     /* :316 */
#endif
  :: else -> skip
  fi;
  w = 0
}

/*
 * takeHanded (semaphore.ts:371): sets `took` and clears `starving` on success; else `seen` is the
 * word it saw last, with h = 0 (the value to sleep on).
 */
inline take_handed() {
  word = mem[STARVE];                                   /* :372 */
  do
  :: H(word) != 0 ->
    atomic {                                            /* :374 CAS (s, h) -> (s-1, h-1) */
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

/* unstarve (semaphore.ts:399): a starving waiter leaves without a handed permit. */
inline unstarve() {
  word = mem[STARVE];                                   /* :400 */
  do
  :: true ->
    atomic {                                            /* :402-403 CAS */
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
    mem[VALUE] = mem[VALUE] + PERMIT;                   /* :406 */
#ifdef MUTANT_WAITERS_FIRST
    w = mem[WAITERS]; w = w + mem[ASYNC];
#endif
    raised(1)                                           /* :407 */
  :: else -> skip
  fi;
  excess = false;
  if                                                    /* :413 settle aborted async waits */
  :: mem[SASYNC] != 0 -> futex_wake(STARVE, ALL, SASYNC, wk)
  :: else -> skip
  fi
}

/*
 * lastOut (semaphore.ts:528-541): the last waiter out clears WAITING; when somebody came in meanwhile,
 * sets it again and raises for any number of permits (rescue, wake all on VALUE), then looks again
 * unless a waiter is counted.
 */
inline last_out() {
  last = false;
  do
  :: true ->
#ifndef MUTANT_LEAVER_READS_FIRST
    atomic { mem[VALUE] = (mem[VALUE] / PERMIT) * PERMIT }; /* :530 Atomics.and ~WAITING */
#endif
    w = mem[WAITERS];                                   /* :531 */
#ifdef MUTANT_LEAVER_READS_FIRST
    atomic { mem[VALUE] = (mem[VALUE] / PERMIT) * PERMIT };
#endif
    if
    :: w == 0 ->
      if
      :: mem[ASYNC] != 0 -> futex_notify(VALUE, ALL)    /* :532 settle aborted async waits */
      :: else -> skip
      fi;
      break
    :: else -> skip
    fi;
#ifdef MUTANT_LEAVER_ONLY_WAKES
    /* The first version: wake everyone, without setting WAITING again or raising. */
    futex_notify(VALUE, ALL);
    futex_notify(STARVE, ALL);
    break
#else
    atomic { mem[VALUE] = mem[VALUE] | WAITING };       /* :535 set WAITING again */
    raised(ALL);                                        /* :536 */
#ifdef MUTANT_LEAVER_NO_RECHECK
    break
#else
    w = mem[WAITERS];                                   /* :539 */
    if
    :: w != 0 -> break
    :: else -> skip                                     /* look again */
    fi
#endif
#endif
  od;
  w = 0
}

/* acquireSlow (semaphore.ts:434), returns with `took` or gives up (`expired`). */
inline acquire_slow() {
#ifndef MUTANT_NO_WAITERS_COUNT
  mem[WAITERS]++;                                       /* :440 count ourselves first */
#endif
  do
  :: true ->
#ifndef MUTANT_NO_WAITING
    atomic { mem[VALUE] = mem[VALUE] | WAITING };       /* :452 set WAITING first */
#endif
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
    :: starving -> take_handed()                        /* :458 */
    :: else -> seen = 0
    fi;
    if
    :: took ->
#ifndef MUTANT_TAKER_SKIPS_LOOK
      if
      :: mem[VALUE] >= PERMIT -> rescue()               /* :466 the look at VALUE */
      :: else -> skip
      fi;
#endif
      break
    :: else -> skip
    fi;
    try_take(true, took);                               /* :469 */
    if
    :: took -> break
    :: else -> skip
    fi;
    /* :475 reclaim: no attributed permits */
    if                                                  /* :480-481 the deadline may pass */
    :: timed && !expired -> expired = true
    :: true -> skip
    fi;
    if
    :: expired -> break                                 /* :481 */
    :: !expired && parked && !starving && due ->
      atomic { mem[STARVE] = mem[STARVE] + ONE_STARVING }; /* :483 starve() */
      starving = true                                   /* :485-486 look again */
    :: else ->
      parked = true;                                    /* :482 since */
      if
      :: starving ->                                    /* :491-496 on STARVE */
        if
        :: asyncWait -> futex_wait_async(me - 1, STARVE, seen, SASYNC, timed, expired, false, res)
        :: true -> futex_wait(me - 1, STARVE, seen, timed, expired, false, res)
        fi
      :: else ->
        if
        :: mem[STARVE] != 0 ->                          /* :509 somebody starves: on VALUE, */
          if                                            /* :512 with the starve timer */
          :: asyncWait -> futex_wait_async(me - 1, VALUE, SLEEP_WORD, ASYNC, TIMER, FIRED, false, res)
          :: true -> futex_wait(me - 1, VALUE, SLEEP_WORD, TIMER, FIRED, false, res)
          fi
        :: else ->                                      /* :510 nobody: on VALUE until the */
          if                                            /* deadline (the liveness poll is left out) */
          :: asyncWait -> futex_wait_async(me - 1, VALUE, SLEEP_WORD, ASYNC, timed, expired, false, res)
          :: true -> futex_wait(me - 1, VALUE, SLEEP_WORD, timed, expired, false, res)
          fi
        fi;
#ifndef NO_HANDOFF
        /* Woken, by whatever: its starving time may have come meanwhile (:494). */
        if
        :: !due -> due = true
        :: true -> skip
        fi
#endif
      fi;
      res = OK
    fi
  od;
  if
  :: starving -> unstarve()                             /* :508 finally */
  :: else -> skip
  fi;
#ifndef MUTANT_NO_WAITERS_COUNT
  atomic { mem[WAITERS]--; last = (mem[WAITERS] == 0) } /* :511 finally, Atomics.sub */
#else
  last = true
#endif
  ;
  if
  :: last -> last_out()                                 /* :511 */
  :: else -> skip
  fi
}

/* release(n) (semaphore.ts:802), the general path (the fast path is it with owed = 0). */
inline release(n) {
  /*
   * Fast path (:811-821), n == 1: one CAS on the guessed word, which must hold no WAITING. A right
   * guess is the CAS on the current word; a wrong one (any time) fails and takes the general
   * path below, as do n > 1 and a word with WAITING.
   */
  if
  :: n == 1 ->
    atomic {
      if
#ifndef MUTANT_FAST_IGNORES_WAITING
      :: mem[VALUE] % PERMIT == 0 ->
#else
      :: true ->
#endif
        mem[VALUE] = mem[VALUE] + PERMIT; released = released + 1; fast = true
      :: true -> skip                                   /* a wrong guess */
      fi
    }
  :: else -> skip
  fi;
  if
  :: fast -> fast = false; goto released_done
  :: else -> skip
  fi;
  word = mem[STARVE];                                   /* :811 / :837 */
  if
  :: LACKING(word) < n -> owed = LACKING(word)
  :: else -> owed = n
  fi;
  word = 0;
#ifdef MUTANT_WAITERS_FIRST
  w = mem[WAITERS]; w = w + mem[ASYNC];
#endif
  value = mem[VALUE];                                   /* :840 */
  do
  :: owed == n -> released = released + n; break        /* :851 nothing for VALUE */
  :: else ->
    atomic {                                            /* :854 CAS word -> word + (n - owed) * PERMIT */
      if
      :: mem[VALUE] == value ->
        mem[VALUE] = value + (n - owed) * PERMIT; released = released + n; ok = true
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
  if                                                    /* :862 handOff(owed) */
  :: owed > 0 ->
    word = mem[STARVE];                                 /* :352 */
    do
    :: true ->
      if
      :: LACKING(word) < owed -> k = LACKING(word)      /* :354 */
      :: else -> k = owed
      fi;
      if
      :: k <= 0 -> break                                /* :355 */
      :: else -> skip
      fi;
      atomic {                                          /* :356 CAS h + k */
        if
        :: mem[STARVE] == word ->
          mem[STARVE] = word + k; handed = k; assert(H(mem[STARVE]) <= S(mem[STARVE]))
        :: else -> word = mem[STARVE]
        fi
      }
      if
      :: handed > 0 -> futex_wake(STARVE, ALL, SASYNC, wk); break /* :359 */
      :: else -> skip
      fi
    od;
    word = 0; k = 0
  :: else -> skip
  fi;
  if
  :: handed < owed -> mem[VALUE] = mem[VALUE] + (owed - handed) * PERMIT /* :863 */
  :: else -> skip
  fi;
  if
  :: handed < n -> raised(n - handed)                   /* :864 */
  :: else -> skip
  fi;
  owed = 0; handed = 0;
released_done:
  skip
}

/* One acquire (fast tryTake, then the slow path); `givesBack`: releases the permit after. */
proctype Acquirer(byte me; bool timed; bool asyncWait; bool givesBack) {
  byte value, res, w, wk, word, seen, owed, handed, k;
  bool took, expired, ok, starving, parked, due, moved, excess, carry, last, fast;
  try_take(true, took);                                 /* :773-779 fast path */
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
  bool ok, moved, carry, fast;
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
  assert(mem[VALUE] / PERMIT + H(mem[STARVE]) == released - taken);
  assert(S(mem[STARVE]) == 0 && H(mem[STARVE]) == 0);
  /* The last waiter out cleared WAITING: releases are one CAS again. */
  assert(mem[VALUE] % PERMIT == 0 && mem[WAITERS] == 0)
}
