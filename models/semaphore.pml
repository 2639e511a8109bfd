/*
 * semaphore.pml: the permit count with its waiting bit, the waiter count and the hand-off word of
 * src/semaphore.ts.
 *
 * Mirrors (see models/README.md for the line table):
 *   try_take      tryTake (semaphore.ts:233-241)
 *   acquire_slow  acquireSlow (semaphore.ts:453-534), after the fast tryTake of #acquireSync
 *                 (semaphore.ts:794-800): WAITING set at the top of each turn (:470), the park
 *                 on VALUE while it is WAITING with no permit (:515), the decrement of WAITERS
 *                 that calls last_out when it was the last (:531)
 *   last_out      lastOut (semaphore.ts:549-562): clear WAITING, read WAITERS; when a waiter
 *                 came in, set WAITING again, raised(all), and look again if WAITERS is 0
 *   release       Semaphore.release(n) (semaphore.ts:823-886): the one-CAS fast path for n = 1
 *                 on a word without WAITING (:831-841), else the look at STARVE (:857), the
 *                 raise of VALUE by what is not owed (:874), handOff (:882, 352-365), the owed
 *                 permits nobody lacks any more back to VALUE (:883), raised (:884);
 *                 unbounded, no attribution
 *   raised        raised (semaphore.ts:312-319), rescue (326-346)
 *   take_handed, starve, unstarve   (semaphore.ts:373-433)
 *
 * Slots as in the code: mem[VALUE] `permits * 2 + WAITING` (`permits << 1 | WAITING`), mem[WAITERS] threads in the slow path, mem[ASYNC]
 * async waiters registered on VALUE, mem[STARVE] the hand-off word, mem[SASYNC] async waiters
 * registered on STARVE. STARVE is `s * 16 + h` here (`s << 16 | h` in the code): s starving
 * waiters, h permits handed to them. Owner death (attributed permits, reclaim/keepOne) is not
 * modelled: no permit here is attributed, so reclaim finds none (semaphore.ts:494). Nor is the
 * holder table's CLAIMED mask (which entries `reclaim` visits); its invariant is argued in the
 * code ("Owner death"). Since issue 9's slimming of the slow path (after these line numbers were
 * taken; they drift by up to ~70 lines now), a turn that does not starve takes the word its
 * WAITING `or` returned as its look at VALUE, the first turn cannot time out (the caller's
 * deadline starts at its clock read) and a one-CAS release retries from the word its failed CAS
 * returned: each is one of the interleavings modelled here (the load right after the `or`, the
 * deadline not yet passed, a fast release with the right guess), so what is verified holds.
 *
 * Time: a waiter that is not starving parks on VALUE with the starve timer only when it finds
 * somebody starving or another waiter in the slow path (:529-532), and the timer may fire
 * at any moment of that sleep (it fires once: the waiter is then due); alone, it parks until its
 * deadline (:530; the 100 ms liveness poll is left out, so that it cannot hide a lost
 * wake-up). Woken from VALUE by anything, it may be due (time passed). A due waiter that has
 * parked before counts itself starving (:501) and looks again before sleeping, on STARVE (:510). A timed
 * waiter's own deadline may pass at its check (:499) or while it sleeps on STARVE or on VALUE
 * without the starve timer. The first waiter to starve (s 0 -> 1) wakes one sleeper on VALUE
 * (:407; the first, which in the code is the one parked without the timer, if any), so that it
 * judges again (the model wakes any one: no order).
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
 *   MUTANT_WAKE_ONE              release(n) wakes one sleeper, not n (:317)
 *   MUTANT_WAITERS_FIRST         release reads WAITERS before raising VALUE (:315 before :874)
 *   MUTANT_DEADLINE_BEFORE_TAKE  a woken waiter checks its deadline before it tries to take
 *                                (:499 before :476-487)
 *   MUTANT_NO_WAITERS_COUNT      the slow path does not count itself in WAITERS (:458)
 *   MUTANT_UNSTARVE_DROPS_HANDED a starving waiter that leaves uncounts itself and the permit
 *                                handed to it, without returning that permit to VALUE (:420-425)
 *   MUTANT_NO_RESCUE             raised() does not look at STARVE (:316): a waiter that starves
 *                                after the release looked sleeps on STARVE beside a permit
 *   MUTANT_TAKER_SKIPS_LOOK      a starving waiter that takes a handed permit does not look at
 *                                VALUE (:484; the first version of the code): the permit was
 *                                handed for another starving waiter's lack, who may sleep beside
 *                                a permit left in VALUE
 *   MUTANT_STALE_SLEEP_WORD      a starving waiter sleeps on the STARVE it read before looking
 *                                for a handed permit, not on the word takeHanded saw last (the
 *                                first version of the code; the word can come back to that
 *                                value with a permit handed, ABA, and the sleeper misses it)
 * The waiting bit (issue 9):
 *   MUTANT_NO_WAITING            a waiter never sets WAITING and sleeps on VALUE = 0 (the code
 *                                before the bit): a one-CAS release misses it (:470, :515)
 *   MUTANT_FAST_IGNORES_WAITING  the one-CAS release raises a word that has WAITING (:833)
 *   MUTANT_LEAVER_READS_FIRST    the last waiter out reads WAITERS before clearing WAITING
 *                                (:551 before :550): a waiter counted in between is missed
 *   MUTANT_LEAVER_ONLY_WAKES     the last waiter out, finding a newcomer, wakes everyone on VALUE
 *                                and STARVE instead of :555-556 (the first version of the code):
 *                                a newcomer about to sleep on STARVE, which the clear does not
 *                                change, sleeps beside a permit a fast release put in VALUE
 *   MUTANT_LEAVER_NO_RECHECK     the last waiter out does not look at WAITERS again (:559): WAITING
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
 * How a sleeper that is not starving wakes by time (:515): its starve timer, once (its deadline
 * is then judged at :499); without the hand-off, its deadline.
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

/* tryTake (semaphore.ts:233): sets `got`; `ghost`: an acquirer's take (not rescue's move). */
inline try_take(ghost, got) {
  value = mem[VALUE];                                   /* :234 */
  do
  :: value >= PERMIT ->                                 /* :235 */
    atomic {                                            /* :236 CAS word -> word - PERMIT */
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
    :: got -> break                                     /* :237 */
    :: else -> skip
    fi
  :: else -> break                                      /* :240 */
  od;
  value = 0
}

/* rescue (semaphore.ts:327): move permits from VALUE to starving waiters that lack one. */
inline rescue() {
  moved = false;
  word = mem[STARVE];                                   /* :328 */
  do
  :: LACKING(word) > 0 ->                               /* :329 */
    carry = false;
    try_take(false, carry);
    if
    :: !carry -> break                                  /* :329 VALUE empty */
    :: else -> skip
    fi;
    do                                                  /* :331 we hold one permit */
    :: LACKING(word) <= 0 -> mem[VALUE] = mem[VALUE] + PERMIT; break /* :332-334 back */
    :: else ->
      atomic {                                          /* :336 CAS h + 1 */
        if
        :: mem[STARVE] == word ->
          mem[STARVE] = word + 1; carry = false; moved = true;
          assert(H(mem[STARVE]) <= S(mem[STARVE]))
        :: else -> word = mem[STARVE]
        fi
      }
      if
      :: !carry -> break                                /* :337-339 handed */
      :: else -> skip
      fi
    od;
    word = mem[STARVE]                                  /* :343 */
  :: else -> break
  od;
  carry = false;
  if
  :: moved -> futex_wake(STARVE, ALL, SASYNC, wk)       /* :345 */
  :: else -> skip
  fi;
  word = 0; moved = false
}

/* raised(n) (semaphore.ts:312): after VALUE was raised by n. */
inline raised(n) {
#ifndef MUTANT_WAITERS_FIRST
  w = mem[WAITERS];                                     /* :315 */
  w = w + mem[ASYNC];
#endif
  if
  :: w != 0 ->
#ifndef MUTANT_NO_RESCUE
    if
    :: mem[STARVE] != 0 -> rescue()                     /* :316 */
    :: else -> skip
    fi;
#endif
#ifdef MUTANT_WAKE_ONE
    futex_wake(VALUE, 1, ASYNC, wk)
#else
    futex_wake(VALUE, n, ASYNC, wk)                     /* :317 */
#endif
  :: else -> skip
  fi;
  w = 0
}

/*
 * takeHanded (semaphore.ts:373): sets `took` and clears `starving` on success; else `seen` is the
 * word it saw last, with h = 0 (the value to sleep on).
 */
inline take_handed() {
  word = mem[STARVE];                                   /* :373 */
  do
  :: H(word) != 0 ->
    atomic {                                            /* :375 CAS (s, h) -> (s-1, h-1) */
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

/* unstarve (semaphore.ts:418): a starving waiter leaves without a handed permit. */
inline unstarve() {
  word = mem[STARVE];                                   /* :418 */
  do
  :: true ->
    atomic {                                            /* :420-421 CAS */
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
    mem[VALUE] = mem[VALUE] + PERMIT;                   /* :424 */
#ifdef MUTANT_WAITERS_FIRST
    w = mem[WAITERS]; w = w + mem[ASYNC];
#endif
    raised(1)                                           /* :425 */
  :: else -> skip
  fi;
  excess = false;
  if                                                    /* :431 settle aborted async waits */
  :: mem[SASYNC] != 0 -> futex_wake(STARVE, ALL, SASYNC, wk)
  :: else -> skip
  fi
}

/*
 * lastOut (semaphore.ts:549-562): the last waiter out clears WAITING; when somebody came in meanwhile,
 * sets it again and raises for any number of permits (rescue, wake all on VALUE), then looks again
 * unless a waiter is counted.
 */
inline last_out() {
  last = false;
  do
  :: true ->
#ifndef MUTANT_LEAVER_READS_FIRST
    atomic { mem[VALUE] = (mem[VALUE] / PERMIT) * PERMIT }; /* :550 Atomics.and ~WAITING */
#endif
    w = mem[WAITERS];                                   /* :551 */
#ifdef MUTANT_LEAVER_READS_FIRST
    atomic { mem[VALUE] = (mem[VALUE] / PERMIT) * PERMIT };
#endif
    if
    :: w == 0 ->
      if
      :: mem[ASYNC] != 0 -> futex_notify(VALUE, ALL)    /* :552 settle aborted async waits */
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
    atomic { mem[VALUE] = mem[VALUE] | WAITING };       /* :555 set WAITING again */
    raised(ALL);                                        /* :556 */
#ifdef MUTANT_LEAVER_NO_RECHECK
    break
#else
    w = mem[WAITERS];                                   /* :559 */
    if
    :: w != 0 -> break
    :: else -> skip                                     /* look again */
    fi
#endif
#endif
  od;
  w = 0
}

/* acquireSlow (semaphore.ts:453), returns with `took` or gives up (`expired`). */
inline acquire_slow() {
#ifndef MUTANT_NO_WAITERS_COUNT
  mem[WAITERS]++;                                       /* :458 count ourselves first */
#endif
  do
  :: true ->
#ifndef MUTANT_NO_WAITING
    atomic { mem[VALUE] = mem[VALUE] | WAITING };       /* :470 set WAITING first */
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
    :: starving -> take_handed()                        /* :476 */
    :: else -> seen = 0
    fi;
    if
    :: took ->
#ifndef MUTANT_TAKER_SKIPS_LOOK
      if
      :: mem[VALUE] >= PERMIT -> rescue()               /* :484 the look at VALUE */
      :: else -> skip
      fi;
#endif
      break
    :: else -> skip
    fi;
    try_take(true, took);                               /* :487 */
    if
    :: took -> break
    :: else -> skip
    fi;
    /* :493 reclaim: no attributed permits */
    if                                                  /* :498-499 the deadline may pass */
    :: timed && !expired -> expired = true
    :: true -> skip
    fi;
    if
    :: expired -> break                                 /* :499 */
    :: !expired && parked && !starving && due ->
      atomic {                                          /* :501 starve(): CAS s + 1 */
        first = (S(mem[STARVE]) == 0);
        mem[STARVE] = mem[STARVE] + ONE_STARVING
      };
      if                                                /* :407 the first wakes VALUE */
      :: first -> first = false; futex_wake(VALUE, 1, ASYNC, wk)
      :: else -> skip
      fi;
      starving = true                                   /* :503-504 look again */
    :: else ->
      parked = true;                                    /* :500 since */
      if
      :: starving ->                                    /* :509-514 on STARVE */
        if
        :: asyncWait -> futex_wait_async(me - 1, STARVE, seen, SASYNC, timed, expired, false, res)
        :: true -> futex_wait(me - 1, STARVE, seen, timed, expired, false, res)
        fi
      :: else ->
        if
        /* :529 somebody starves, or another waiter is in the slow path: on VALUE with the */
        :: mem[STARVE] != 0 || mem[WAITERS] > 1 ->
          if                                            /* :532 starve timer */
          :: asyncWait -> futex_wait_async(me - 1, VALUE, SLEEP_WORD, ASYNC, TIMER, FIRED, false, res)
          :: true -> futex_wait(me - 1, VALUE, SLEEP_WORD, TIMER, FIRED, false, res)
          fi
        :: else ->                                      /* :530 alone: on VALUE until the */
          if                                            /* deadline (the liveness poll is left out) */
          :: asyncWait -> futex_wait_async(me - 1, VALUE, SLEEP_WORD, ASYNC, timed, expired, false, res)
          :: true -> futex_wait(me - 1, VALUE, SLEEP_WORD, timed, expired, false, res)
          fi
        fi;
#ifndef NO_HANDOFF
        /* Woken, by whatever: its starving time may have come meanwhile (:512). */
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
  :: starving -> unstarve()                             /* :528 finally */
  :: else -> skip
  fi;
#ifndef MUTANT_NO_WAITERS_COUNT
  atomic { mem[WAITERS]--; last = (mem[WAITERS] == 0) } /* :531 finally, Atomics.sub */
#else
  last = true
#endif
  ;
  if
  :: last -> last_out()                                 /* :531 */
  :: else -> skip
  fi
}

/* release(n) (semaphore.ts:823), the general path (the fast path is it with owed = 0). */
inline release(n) {
  /*
   * Fast path (:831-841), n == 1: one CAS on the guessed word, which must hold no WAITING. A right
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
  word = mem[STARVE];                                   /* :831 / :857 */
  if
  :: LACKING(word) < n -> owed = LACKING(word)
  :: else -> owed = n
  fi;
  word = 0;
#ifdef MUTANT_WAITERS_FIRST
  w = mem[WAITERS]; w = w + mem[ASYNC];
#endif
  value = mem[VALUE];                                   /* :860 */
  do
  :: owed == n -> released = released + n; break        /* :871 nothing for VALUE */
  :: else ->
    atomic {                                            /* :874 CAS word -> word + (n - owed) * PERMIT */
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
  if                                                    /* :882 handOff(owed) */
  :: owed > 0 ->
    word = mem[STARVE];                                 /* :353 */
    do
    :: true ->
      if
      :: LACKING(word) < owed -> k = LACKING(word)      /* :355 */
      :: else -> k = owed
      fi;
      if
      :: k <= 0 -> break                                /* :356 */
      :: else -> skip
      fi;
      atomic {                                          /* :357 CAS h + k */
        if
        :: mem[STARVE] == word ->
          mem[STARVE] = word + k; handed = k; assert(H(mem[STARVE]) <= S(mem[STARVE]))
        :: else -> word = mem[STARVE]
        fi
      }
      if
      :: handed > 0 -> futex_wake(STARVE, ALL, SASYNC, wk); break /* :360 */
      :: else -> skip
      fi
    od;
    word = 0; k = 0
  :: else -> skip
  fi;
  if
  :: handed < owed -> mem[VALUE] = mem[VALUE] + (owed - handed) * PERMIT /* :883 */
  :: else -> skip
  fi;
  if
  :: handed < n -> raised(n - handed)                   /* :884 */
  :: else -> skip
  fi;
  owed = 0; handed = 0;
released_done:
  skip
}

/* One acquire (fast tryTake, then the slow path); `givesBack`: releases the permit after. */
proctype Acquirer(byte me; bool timed; bool asyncWait; bool givesBack) {
  byte value, res, w, wk, word, seen, owed, handed, k;
  bool took, expired, ok, starving, parked, due, moved, excess, carry, last, fast, first;
  try_take(true, took);                                 /* :793-799 fast path */
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
