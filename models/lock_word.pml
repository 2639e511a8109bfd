/*
 * lock_word.pml: the lock word of src/internal/lock_word.ts, with owner death.
 *
 * Mirrors (see models/README.md for the line table):
 *   lock_fast    the fast path of every acquire: CAS 0 -> me2 (lock.ts:199, lock_word.ts:568)
 *   lock_slow    the slow path's loop, advance (lock_word.ts:254-364), spin bound SPIN_LIMIT =
 *                0; its two drivers, lockSlow (generator, 386) and lockSlowSync (plain loop over
 *                parkSync, 419), only sleep between its turns and take STARVING away in
 *                `finally`. A woken waiter judges whether it starves at its first turn that finds
 *                the word not free (one that finds it free just takes it): the model chooses
 *                `starving` nondeterministically after a wake, and time only moves forward, so
 *                judging at that later turn is one of the runs checked here.
 *   lock_unlock  unlock (lock_word.ts:525-527) and unlockSlow (lock_word.ts:476-501)
 *
 * STATE (mem[STATE]) is 0 (free), STARVING? | (owner ident << 1) | PARKED, or HANDOFF (STARVING |
 * PARKED, no owner: released to a starving waiter); idents are 1 .. NPROC (≤ 3: the owner field
 * is bits 1-2, STARVING is bit 3 here where the code's is bit 31). ASYNC
 * (mem[ASYNC]) counts async waiters registered on STATE. lifeOf(ident) (ident.ts:225) is
 * LIFE_UNWATCHED for a thread whose end nobody reports (a main thread: `watched[ident]` false),
 * else LIFE_ALIVE until it ends, then LIFE_ENDED (`alive[ident]`). Every sleeper wakes every
 * OWNER_POLL_MS, whoever owns the word; the model keeps only the polls that matter, a wake
 * enabled while the word's current owner has ended (the others re-read and sleep again, as the
 * spurious wakes do), so that a lost wake-up is not hidden behind a 100 ms poll.
 *
 * This file is both a model and a library: queue.pml defines LOCK_WORD_LIB and includes it for
 * the inlines only. A process using the inlines declares these locals:
 *   byte me, me2, state, take, life, res, wk, r;  bool ok, asyncWait, starving, marked;
 * (`asyncWait`: it may park with waitAsync) and passes lock_slow its deadline flags.
 *
 * Mutants (spin -DMUTANT_...): each breaks one step the comments call essential; the test
 * (tests/models_test.ts) asserts spin finds an error in each.
 *   MUTANT_UNLOCK_NO_WAKE      unlock stores 0 without looking at PARKED (no wake)
 *   MUTANT_TAKE_PLAIN          after sleeping, re-acquire without PARKED (lock_word.ts:345)
 *   MUTANT_TIMEOUT_NO_PARKED   a sleeper that times out leaves without setting PARKED (:316-322)
 *   MUTANT_TAKEOVER_DROPS_PARKED  the takeover from a dead owner drops PARKED (:301)
 *   MUTANT_TAKEOVER_PLAIN      the takeover keeps the word's PARKED but forgets its own: a sleeper
 *                              woken by a release, finding a barger that then died, takes the
 *                              word without PARKED while others sleep (the code before this
 *                              model found it: `me2 | (state & PARKED)` at :223)
 *
 *   MUTANT_POLL_WATCHED_ONLY   a sleeper polls liveness only while the owner it saw when it
 *                              parked is watched (the code before this model found it): with
 *                              -DUNWATCHED_HOLDER -DTIMED_3=false (ident 2 an unwatched thread, a
 *                              main thread) a sleeper parked behind it is never woken after the
 *                              next owner dies holding the word
 *
 * Fairness hand-off (lock_word.ts "Fairness"), marked HANDOFF below. A waiter that has parked
 * may become starving after any wake (time passes nondeterministically), and a waiter that is not
 * starving yet sleeps behind a HANDOFF word with a timer that fires once it would be (the
 * `!starving && state == HANDOFF` wake; its TIMED_OUT makes it starving); behind a held word it
 * has no starve timer (the release wakes it). A starving waiter sets STARVING with PARKED before it parks; the
 * release that sees STARVING writes HANDOFF and wakes all; only a starving waiter takes HANDOFF
 * (CAS -> me2 | PARKED); a starving waiter that leaves without the word clears STARVING from a
 * held word or frees a HANDOFF word and wakes all (unstarve).
 *   MUTANT_ORPHAN_HANDOFF      a starving waiter leaves its mark behind (no unstarve) and waiters
 *                              that are not starving park without the timer: a word handed to
 *                              a waiter that timed out is left to nobody, its sleepers for ever
 *   MUTANT_NO_UNSTARVE         a waiter leaving without the word never takes its mark along (the
 *                              starve timer kept): caught with -DNO_STARVE_TIMER only, since a
 *                              timer wake makes a sleeper starving and it takes the HANDOFF
 *   MUTANT_NEVER_MARKED        the park that announces starving does not record it (`marked`,
 *                              the code's `w.starving = true`), so its leaver never unstarves:
 *                              the same catch, the F2 rule's load-bearing half
 * -DNO_STARVE_TIMER: no sleeper wakes by its starve timer (behind a HANDOFF word too), so only
 * `unstarve` frees a word handed to a waiter that left; -DTIMED_2: ident 2 has deadlines too (two
 * waiters that may time out, e.g. one starving and announced, one judging at its deadline).
 * -DOURS: RLock's shared-ownership waiter (`lockSlow(..., ours = true)`, rlock.ts `acquire`). A
 * fourth process, `Sibling`, is a second async task of ident 3's thread: ident 3's two tasks
 * share one DEPTH (`depth3`) and one thread (a run token, `token`: a task runs only while it has
 * it and gives it up only while it is parked async or, in its critical section, awaits). An async
 * acquire of ident 3 re-enters when the word is its thread's (`#reenter`) and its slow path ends
 * with R_OURS once the word is its thread's (then depth3 + 1); a sync acquire of ident 3 parks
 * with the token held (the thread blocks) and is not `ours`. Checked: one *thread* in the
 * critical section, DEPTH equals the tasks holding, a fresh take (depth 1) never while a task of
 * the thread holds, no lost wake-up, no deadlock. -DAWAIT_SIBLING: Locker 3, holding, awaits the
 * Sibling's pending acquire before it releases (the deadlock the `ours` waiter fixes;
 * MUTANT_NO_OURS shows it). MUTANT_OURS_NO_PARKED: R_OURS without passing PARKED on.
 * OURS_UNSTARVE: R_OURS also unstarves (as 0264bde's `finally` did; fairness is not checked here,
 * so both verify). MUTANT_NO_OURS_POLL: the model keeps no poll for an `ours` waiter whose
 * thread took the word over from a dead owner (no wake): it then sleeps on (in the code, until
 * its next liveness poll, OWNER_POLL_MS). The -DOURS runs are bigger than the suite's 1 GB bound
 * (tests/models_test.ts) and run by hand (`spin -DOURS [...] -a models/lock_word.pml`, then
 * `cc -O1 -DCOLLAPSE -DSAFETY -DMEMLIM=4096 -o pan pan.c && ./pan -m100000 -n`). 2026-12-04,
 * with ITERS_1=1 ITERS_2=1 ITERS_3=1 (the default workload does not fit 4 GB): -DOURS verified
 * (67.7 M states, 116 s, 3.3 GB), -DOURS -DAWAIT_SIBLING verified (58 M states, 81 s),
 * MUTANT_OURS_NO_PARKED and OURS_UNSTARVE verify too; -DOURS -DAWAIT_SIBLING with
 * MUTANT_NO_OURS (the code before 0264bde), and likewise MUTANT_NO_OURS_POLL: an invalid end
 * state, the sibling asleep behind its own thread's hold (default workload: 40 M states, 106 s,
 * 2.2 GB).
 * -DNO_HANDOFF models the word without the hand-off (pure barging: nobody starves, no starve
 * timer). The PARKED mutants above run with it (they were written when every sleeper had a
 * starve timer, which hid a lost PARKED from any end-state check; the hand-off runs of them are
 * in tests/models_test.ts too).
 */

#ifndef LOCK_WORD_LIB
#ifdef OURS
#define NPROC 4
#else
#define NPROC 3
#endif
#define NSLOTS 2
#define SPURIOUS 1
#endif
/* Acquisitions per thread (bounded, so that every run ends). */
#ifndef ITERS_1
#define ITERS_1 2
#define ITERS_2 2
#define ITERS_3 1
#endif
#ifndef TIMED_3
#define TIMED_3 true
#endif
#ifndef TIMED_2
#define TIMED_2 false
#endif

#define STATE 0
#define ASYNC 1
#define PARKED 1
#define STARVING 8
#define HANDOFF 9
#define OWNER_BITS 6
#define ownerOfWord(s) (((s) & OWNER_BITS) >> 1)

/* lockSlow outcomes: false (timed out), true, or "took over from a dead owner" */
#define R_FALSE 0
#define R_TRUE 1
#define R_TOOK 2
#define R_OURS 3

#ifdef OURS
/* The caller's futex waiter slot: per process (two processes share ident 3). */
#define WSLOT (_pid - 1)
/* `ours`: an async acquire of ident 3's thread (RLock.acquire). */
#ifdef MUTANT_NO_OURS
#define LK_OURS false
#else
#define LK_OURS (me == 3 && asyncWait)
#endif
/* A sync park of ident 3 only in a sync acquire (the thread blocks, keeping its token). */
#define PARK_SYNC_OK (me != 3 || !asyncWait)
/* Ident 3's thread runs one task at a time: the run token (0: nobody runs). */
byte token;
#define TAKE_TOKEN atomic { token == 0 -> token = _pid }
#define DROP_TOKEN_3 if :: me == 3 -> token = 0 :: else -> skip fi
#define TAKE_TOKEN_3 if :: me == 3 -> TAKE_TOKEN :: else -> skip fi
#else
#define WSLOT (me - 1)
#define LK_OURS false
#define PARK_SYNC_OK true
#define DROP_TOKEN_3 skip
#define TAKE_TOKEN_3 skip
#endif

#ifndef LOCK_WORD_LIB
#include "futex.pml"
#endif

/* lifeOf (ident.ts:225) */
#define LIFE_UNWATCHED 0
#define LIFE_ALIVE 1
#define LIFE_ENDED 2
bool watched[NPROC + 1];
bool alive[NPROC + 1];
#define lifeOf(id) (watched[id] -> (alive[id] -> LIFE_ALIVE : LIFE_ENDED) : LIFE_UNWATCHED)
/* A liveness poll finds the word held by an ended thread. */
#define ownerEnded (ownerOfWord(mem[STATE]) != 0 && watched[ownerOfWord(mem[STATE])] && \
  !alive[ownerOfWord(mem[STATE])])

/*
 * `seen = Atomics.compareExchange(mem, STATE, expect, update)` followed by the caller's
 * `if (seen === expect) ... else state = seen`, as one step (the branch reads only locals): sets
 * `ok`, and on failure `state` to what the CAS saw.
 */
inline cas_state(expect, update) {
  atomic {
    if
    :: mem[STATE] == expect -> mem[STATE] = update; ok = true
    :: else -> state = mem[STATE]; ok = false
    fi
  }
}

/*
 * unstarve (lock_word.ts): a starving waiter leaving without the word clears STARVING from a held
 * word, or frees a HANDOFF word and wakes all. Leaves `state` as the word now reads.
 */
inline unstarve() {
  state = mem[STATE];
  do
  :: state == HANDOFF ->
    cas_state(HANDOFF, 0);
    if
    :: ok -> futex_wake(STATE, ALL, ASYNC, wk); state = 0; break
    :: else -> skip
    fi
  :: state != HANDOFF && (state & STARVING) == 0 -> break
  :: state != HANDOFF && (state & STARVING) != 0 ->
    cas_state(state, state & ~STARVING);
    if
    :: ok -> state = state & ~STARVING; break
    :: else -> skip
    fi
  od;
  ok = false
}

/* The fast path: one CAS 0 -> me2 (lock.ts:199). Sets ok. */
inline lock_fast() {
  cas_state(0, me2);
  state = 0
}

/*
 * lockSlow / lockSlowSync(i32, STATE, me2, deadline, 0): advance (lock_word.ts:254). Sets r. When `lkTimed`, the deadline
 * may pass at any check (then `lkExpired` stays true).
 */
inline lock_slow(lkTimed, lkExpired) {
  atomic { state = mem[STATE]; take = me2; starving = false; marked = false } /* spin 0 */
slow_loop:
  do
  :: state == 0 ->                                      /* free: grab it */
    cas_state(0, take);
    if
    :: ok -> starving = false; r = R_TRUE; break
    :: else -> skip                                     /* state = seen */
    fi
  :: state == HANDOFF && starving ->                    /* HANDOFF: ours, we starve */
    cas_state(HANDOFF, me2 | PARKED);
    if
    :: ok -> starving = false; r = R_TRUE; break
    :: else -> skip
    fi
  :: LK_OURS && ownerOfWord(state) == me ->            /* OURS: held by this thread */
#ifdef MUTANT_OURS_NO_PARKED
    r = R_OURS; break;
#endif
    if
    :: take == me2 || (state & PARKED) != 0 -> r = R_OURS; break
    :: else ->
      cas_state(state, state | PARKED);                 /* as a timed-out leaver */
      if
      :: ok -> r = R_OURS; break
      :: else -> skip
      fi
    fi
  :: else ->
    life = lifeOf(ownerOfWord(state));                  /* owner 0 (HANDOFF): unwatched */
    if
    :: life == LIFE_ENDED ->                            /* :300 held by an ended thread */
#if defined(MUTANT_TAKEOVER_DROPS_PARKED)
      cas_state(state, me2);
#elif defined(MUTANT_TAKEOVER_PLAIN)
      cas_state(state, me2 | (state & PARKED));
#else
      cas_state(state, take | (state & PARKED));        /* keep PARKED, add ours; STARVING goes */
#endif
      if
      :: ok -> starving = false; r = R_TOOK; break      /* :302 */
      :: else -> skip                                   /* :306 state = seen */
      fi
    :: else ->
      /* :316 now() >= deadline: the deadline may pass at any moment */
      if
      :: lkTimed && !lkExpired -> lkExpired = true
      :: true -> skip
      fi;
      if
      :: lkExpired ->
#ifdef MUTANT_TIMEOUT_NO_PARKED
        r = R_FALSE; break;
#endif

        if
        :: take == me2 || (state & PARKED) != 0 -> r = R_FALSE; break    /* :317 */
        :: else ->
          cas_state(state, state | PARKED);             /* :318 pass the wake-up on */
          if
          :: ok -> r = R_FALSE; break                   /* :319 */
          :: else -> skip                               /* :320 state = seen */
          fi
        fi
      :: else ->
        /* Set PARKED first; STARVING too once we starve (HANDOFF carries both). */
        if
        :: starving && (state & HANDOFF) != HANDOFF ->
          cas_state(state, state | HANDOFF);
          if
          :: !ok -> goto slow_loop
          :: else -> state = state | HANDOFF
          fi
        :: !starving && (state & PARKED) == 0 ->
          cas_state(state, state | PARKED);
          if
          :: !ok -> goto slow_loop                      /* state = seen; continue */
          :: else -> state = state | PARKED
          fi
        :: else -> skip
        fi;
        /* Announced: STARVING on the word may be ours from here (`w.starving` in the code; the
           judgement alone is `w.starves`). */
#ifndef MUTANT_NEVER_MARKED
        if
        :: starving -> marked = true
        :: else -> skip
        fi;
#endif
#ifdef MUTANT_TAKE_PLAIN
        take = me2;
#else
        take = me2 | PARKED;                            /* :340 */
#endif
        /* Sleep while STATE == state; poll the owner's liveness (watched); behind a HANDOFF
           word, until we starve, wake when we would (HANDOFF: the starve timer); behind a held
           word no starve timer (lock_word.ts "When a waiter knows it starves"). */
#if defined(NO_HANDOFF)
#define STARVE_TIMER false
#define CAN_STARVE false
#elif defined(MUTANT_ORPHAN_HANDOFF) || defined(NO_STARVE_TIMER)
#define STARVE_TIMER false
#define CAN_STARVE true
#else
#define STARVE_TIMER (!starving && state == HANDOFF)
#define CAN_STARVE true
#endif
        /* Every sleeper polls liveness, whoever owned the word when it parked (:parkUntil
           with watched = true); MUTANT_POLL_WATCHED_ONLY polls only behind a watched owner, as
           the code did before this model found the gap. */
#ifdef MUTANT_POLL_WATCHED_ONLY
#define POLL_WAKE (life == LIFE_ALIVE && ownerEnded)
#elif defined(OURS) && !defined(MUTANT_NO_OURS_POLL)
/* An `ours` waiter's poll also matters once its own thread holds the word: a takeover of a
   dead owner's word by a sibling task wakes nobody, so the poll (OWNER_POLL_MS) ends its wait. */
#define POLL_WAKE (ownerEnded || (LK_OURS && ownerOfWord(mem[STATE]) == me))
#else
#define POLL_WAKE ownerEnded
#endif
        if                                              /* runSync or runAsync */
        :: asyncWait ->
          DROP_TOKEN_3;                                 /* an async park lets the thread run */
          futex_wait_async(WSLOT, STATE, state, ASYNC, lkTimed, lkExpired,
             (POLL_WAKE || STARVE_TIMER), res);
          TAKE_TOKEN_3                                  /* resumed once the thread is free */
        :: PARK_SYNC_OK -> futex_wait(WSLOT, STATE, state, lkTimed, lkExpired,
             (POLL_WAKE || STARVE_TIMER), res)
        fi;
        /* Re-read; time passed: a timer wake means we starve now, any other wake may. */
        atomic {
          state = mem[STATE];
          if
          :: CAN_STARVE && res == TIMED_OUT -> starving = true
          :: CAN_STARVE && res != TIMED_OUT ->
            if
            :: starving = true
            :: skip
            fi
          :: else -> skip
          fi;
          res = OK;
          life = 0
        }
      fi
    fi
  od;
  /* HANDOFF: leaving without the word while starving: take the mark along (`finally`) */
#if !defined(MUTANT_ORPHAN_HANDOFF) && !defined(MUTANT_NO_UNSTARVE)
  if
  :: r == R_FALSE && marked -> unstarve()
#ifdef OURS_UNSTARVE
  :: r == R_OURS && marked -> unstarve()
#endif
  :: else -> skip
  fi;
#endif
  atomic { state = 0; take = 0; life = 0; ok = false; starving = false; marked = false }
}



/* unlock(i32, STATE, me2) (lock_word.ts:525) and unlockSlow (lock_word.ts:476). */
inline lock_unlock() {
#ifdef MUTANT_UNLOCK_NO_WAKE
  mem[STATE] = 0;
#else
  cas_state(me2, 0);                                    /* :512 fast: nobody parked */
  if
  :: ok -> skip
  :: else ->
    /* unlockSlow: `state` holds what the CAS saw (:463 re-reads it; no step in between
       matters, the next CAS re-checks) */
    do
    :: state == 0 || state == HANDOFF -> assert(false)  /* we hold it: never free */
    :: else ->
      /* HANDOFF: a starving waiter sleeps: hand off instead of freeing */
      if
      :: (state & STARVING) != 0 -> cas_state(state, HANDOFF)
      :: else -> cas_state(state, 0)
      fi;
      if
      :: ok -> break
      :: else -> skip                                   /* state = seen */
      fi
    od;
    if
    :: (state & STARVING) != 0 -> futex_wake(STATE, ALL, ASYNC, wk)  /* hand-off: wake all */
    :: (state & STARVING) == 0 && (state & PARKED) != 0 -> futex_wake(STATE, 1, ASYNC, wk)
    :: else -> skip
    fi
  fi;
  atomic { state = 0; ok = false }
#endif
}

#ifndef LOCK_WORD_LIB

/* Live holders of the lock: the mutual-exclusion property is inCS <= 1. */
byte inCS;

#ifdef OURS
/* Ident 3's thread: its DEPTH slot, its tasks holding, its tasks not yet ended. */
byte depth3;
byte in3;
byte tasks3 = 2;
/* The Sibling's acquire is pending (AWAIT_SIBLING: Locker 3, holding, awaits it). */
bool sibWaiting;
bool sibDone;

/* Ident 3 after an acquire with outcome r (fast path: R_TRUE): RLock's `acquired`. */
inline hold3() {
  atomic {
    assert(ownerOfWord(mem[STATE]) == me);
    if
    :: r == R_OURS -> assert(in3 >= 1 && depth3 == in3); depth3++   /* reentered */
    :: else -> assert(in3 == 0); depth3 = 1                        /* took the word */
    fi;
    if
    :: in3 == 0 -> inCS++
    :: else -> skip
    fi;
    in3++;
    assert(inCS == 1)
  }
}

/* Ident 3 releases one level (RLock.release); the last one unlocks. */
inline release3() {
  atomic {
    assert(ownerOfWord(mem[STATE]) == me && depth3 == in3 && depth3 >= 1);
    depth3--;
    in3--;
    if
    :: in3 == 0 -> inCS--
    :: else -> skip
    fi
  };
  if
  :: depth3 == 0 -> lock_unlock()
  :: else -> skip
  fi
}

/* Ident 3's acquire: fast path, `#reenter` (async only), then the slow path. Token held. */
inline acquire3(timed3, expired3) {
  lock_fast();
  if
  :: ok -> ok = false; r = R_TRUE
  :: else ->
    if
    :: asyncWait && ownerOfWord(mem[STATE]) == me -> r = R_OURS
    :: else -> lock_slow(timed3, expired3)
    fi
  fi
}

/* One task of ident 3's thread ends; the last one ends the thread. */
inline end3() {
  atomic {
    tasks3--;
    if
    :: tasks3 == 0 -> alive[me] = false
    :: else -> skip
    fi;
    token = 0
  }
}

/* A second async task of ident 3's thread: one acquire (async, `ours`), one release. */
proctype Sibling(byte me) {
  byte me2, state, take, life, res, wk, r;
  bool ok, expired, starving, marked, asyncWait;
  me2 = me << 1;
  asyncWait = true;
  TAKE_TOKEN;
  sibWaiting = true;
  acquire3(false, expired);
  sibWaiting = false;
  sibDone = true;
  if
  :: r != R_FALSE ->
    hold3();
    token = 0;                                          /* awaits in its critical section */
    TAKE_TOKEN;
    release3()
  :: else -> skip
  fi;
  end3()
}
#endif

/*
 * One thread: `iters` acquisitions (fast path, then lockSlow), each followed by a critical section
 * and a release. `timed`: acquires have a deadline. `mayDie`: the thread may end while holding
 * the lock (its liveness flips to ended, the word stays with its ident). `asyncWait`: each park
 * may be an Atomics.waitAsync (counted in ASYNC, so releases wake all while it sleeps) or an
 * Atomics.wait, either way.
 */
proctype Locker(byte me; byte iters; bool timed; bool asyncWait; bool mayDie) {
  byte me2, state, take, life, res, wk, r, i;
  bool ok, expired, starving, marked;
  me2 = me << 1;
  i = 0;
  do
  :: i == iters -> break
  :: else ->
    i++;
    expired = false;
#ifdef OURS
    if
    :: me == 3 ->
      TAKE_TOKEN;
      if                                                /* acquire() or acquireSync() */
      :: asyncWait = true
      :: asyncWait = false
      fi;
      acquire3(timed, expired);
      if
      :: r != R_FALSE ->
        hold3();
#ifdef AWAIT_SIBLING
        if                                              /* awaits the sibling's acquire */
        :: sibWaiting -> token = 0; sibDone; TAKE_TOKEN
        :: else -> skip
        fi;
#endif
        token = 0;                                      /* awaits in its critical section */
        TAKE_TOKEN;
        release3()
      :: else -> skip
      fi;
      token = 0;
      d_step { r = R_FALSE; expired = false };
      goto next
    :: else -> skip
    fi;
#endif
    lock_fast();
    if
    :: ok -> ok = false; r = R_TRUE
    :: else -> lock_slow(timed, expired)
    fi;
    if
    :: r != R_FALSE ->
      /* Holding (also after a takeover: OwnerDiedError is thrown with the lock held). */
      atomic {
        inCS++;
        assert(inCS == 1);
        assert(ownerOfWord(mem[STATE]) == me)
      }
      if
      :: mayDie ->
        /* Ends while holding: the runtime layer marks it ended; the word keeps its ident. */
        atomic { inCS--; alive[me] = false };
        goto died
      :: true -> skip
      fi;
      inCS--;
      lock_unlock()
    :: else -> skip
    fi;
    /* Dead locals back to 0, so that states differing only in them are one state. */
    d_step { r = R_FALSE; expired = false };
next:
    skip
  od;
#ifdef OURS
  if
  :: me == 3 -> end3()
  :: else -> alive[me] = false
  fi;
#else
  alive[me] = false;                                    /* ended (bootstrap.ts setLife) */
#endif
died:
  skip
}

init {
  atomic {
    byte k;
    for (k : 0 .. NPROC - 1) {
      waitOn[k] = NONE
    }
    for (k : 1 .. NPROC) {
      watched[k] = true;
      alive[k] = true
    }
#ifdef UNWATCHED_HOLDER
    watched[2] = false;
#endif
    /* ident 1 may die holding; ident 2 waits forever if need be; ident 3 has deadlines and parks
       asynchronously. */
    run Locker(1, ITERS_1, false, false, true);
    run Locker(2, ITERS_2, TIMED_2, false, false);
    run Locker(3, ITERS_3, TIMED_3, true, false);
#ifdef OURS
    run Sibling(3)
#endif
  }
}

#endif
