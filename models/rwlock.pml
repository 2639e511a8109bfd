/*
 * rwlock.pml: the writers of src/rwlock.ts and their hand-off (issue 10), with -DREADER one reader:
 * STATE's W bit, the count of waiting writers `w` and the STARVING bit S, the WSEQ sleep slot and
 * its async count (and RWAIT, RSEQ for the reader).
 *
 * Mirrors (rwlock.ts line numbers; see models/README.md):
 *   write_fast    the fast CAS 0 -> W of writeSync/write (:663, :701)
 *   write_slow    writeSlow (:359-468) with SPIN_LIMIT 0: the look (:395-396), the take with
 *                 w-1 and, starving, S cleared (:400-409), the deadline (:429), registering in w
 *                 (:431-437), setting S (:442-444) and announcing it (:446: `starving`, S may
 *                 be ours), the park with the starve timer (:447-462),
 *                 becoming starving (:420-427, `starves`: judged at the first turn after the wake that finds
 *                 the lock held, which then looks again; the model judges right after the park,
 *                 its `due` free, which covers that: a look before the judgement is a look made
 *                 while not yet due), `finally` (:466)
 *   leave_waiting leaveWaiting (:259-288)
 *   unlock_write  unlockWrite (:233-251), the wake of the writers (wakeWriter, :208-211)
 *
 * STATE is one byte here: W = 1, w in bits 1-2 (ONE = 2), S = 8, one reader R = 16 (bit 16, bits
 * 17-30, bit 31 and bits 0-15 in the code). With -DREADER, writer B is a reader instead (no
 * deadline, no barging: readSlow :303-334 and unlockRead :225-230, whose last reader out wakes
 * every writer when S is set); without it r = 0 throughout. The OWNER slot is not modelled.
 *
 * Time: a writer that is not starving parks with the starve timer (:453), which may fire at any
 * moment of that sleep (once: the writer is then due); time may also pass while it sleeps for
 * other reasons, so after any park a writer may become due (:420-427). A due writer starves
 * (`starves`), and announces it at its next park (`starving`: S on the word may be ours). The
 * timed writer's deadline may pass at its check (:429) or while it sleeps (starving: its park
 * has the deadline only).
 *
 * Workload: writer A (no deadline) writes A_WRITES times (1; -DA_WRITES=2 also verifies, 23 million
 * states); writer B (no deadline) once; writer C (with a deadline, each park sync or async) once,
 * or gives up: its deadline passes, or it is aborted at a park (the generator's `finally` runs
 * at the `yield`, :462, without another look). Every run can end, so a writer asleep at
 * the end is a lost wake-up (an invalid end state). -DNO_HANDOFF takes the hand-off out (the
 * barging RWLock as it was: nobody starves), also verified; the wake-up mutants run with it, for
 * the reason semaphore.pml gives (with the hand-off, a sleeper that is not starving wakes by its
 * starve timer, so a lost wake costs it at most STARVE_AFTER_MS, which no end state shows).
 *
 * Properties: one writer inside at a time; a writer that is not starving never takes a lock that a
 * release left reserved (ghost `reserved`: set by a release that saw S, cleared when a starving
 * writer takes the lock or a starving writer leaving takes S away); a writer that gives up takes
 * S away only if it parked as a starving writer (ghost `announced`): one that judged it starves
 * at the wake where its deadline passed leaves another's S alone; S implies w > 0 after every
 * change of STATE; once every process has ended, STATE = 0 and nobody is registered on WSEQ.
 *
 * Mutants (spin -DMUTANT_...):
 *   MUTANT_RELEASE_DROPS_S   the release clears S with W (:240): a barging writer takes the lock
 *                            a starving writer was promised
 *   MUTANT_ANYONE_TAKES_RESERVED  a writer that is not starving takes a reserved lock (:400)
 *   MUTANT_TAKER_KEEPS_S     a starving writer takes the lock without clearing S (:402)
 *   MUTANT_LEAVER_KEEPS_S    a starving writer that gives up leaves S behind (:265): a reserved
 *                            lock with nobody to take it
 *   MUTANT_JUDGED_CLEARS_S   a writer that judged it starves but never parked as one takes S
 *                            away as it gives up (:466; the code before 2026-12-05): another
 *                            starving writer's hand-off lost until it next wakes
 *   MUTANT_LEAVE_NO_READERS  (with READER) the last waiting writer gives up without letting the
 *                            readers it held back in (:274)
 *   MUTANT_NO_PASS_ON        (with NO_HANDOFF) a writer that gives up does not pass on the wake
 *                            it may have consumed (:287)
 */

#define NPROC 3
#define STATE 0
#define WSEQ 1
#define WASYNC 2
#define RWAIT 3
#define RSEQ 4
#define NSLOTS 5
#define SPURIOUS 1
#ifndef A_WRITES
#define A_WRITES 1
#endif

#define W 1
#define ONE 2
#define WAITING 6
#define S 8
/* One reader holding (the reader count, bits 0-15 in the code; one reader here). */
#define R 16

#include "futex.pml"

/* Ghosts: writers inside, readers inside; a release left the lock reserved for a starving writer. */
byte inside, readersIn;
bool reserved;

#define CHECK_S assert((mem[STATE] & S) == 0 || (mem[STATE] & WAITING) != 0)

/* wakeWriter (:208): bump WSEQ (:209), wake one or all (:210). */
inline wake_writer(all) {
  mem[WSEQ]++;
  if
  :: all -> futex_wake(WSEQ, ALL, WASYNC, wk)
  :: else -> futex_wake(WSEQ, 1, WASYNC, wk)
  fi
}

/* wakeReaders (:219): bump RSEQ, wake all. */
inline wake_readers() {
  mem[RSEQ]++;
  futex_notify(RSEQ, ALL)
}

/* The critical section, entered by a writer that is `starving` or not. */
inline enter(starving) {
  assert(starving || !reserved);
  reserved = false;
  inside++;
  assert(inside == 1 && readersIn == 0);
  inside--
}

/* unlockWrite (:233): clear W keeping S (:237-243), then wake (:247-250). */
inline unlock_write() {
  st = W;
  do
  :: true ->
    atomic {                                            /* :240 CAS st -> st & ~W */
      if
      :: mem[STATE] == st ->
#ifdef MUTANT_RELEASE_DROPS_S
        mem[STATE] = st & ~(W | S);
#else
        mem[STATE] = st & ~W;
#endif
        reserved = ((st & S) != 0); ok = true; CHECK_S
      :: else -> st = mem[STATE]
      fi
    }
    if
    :: ok -> break
    :: else -> skip
    fi
  od;
  ok = false;
  if
  :: (st & WAITING) != 0 -> wake_writer((st & S) != 0) /* :247-248 */
  :: else ->
    if
    :: mem[RWAIT] != 0 -> wake_readers()                /* :250 */
    :: else -> skip
    fi
  fi;
  st = 0
}

/* leaveWaiting (:259): uncount (and, starving, take S away) in one CAS, then pass the wake on. */
inline leave_waiting() {
  st = mem[STATE];                                      /* :260 */
  do
  :: true ->
    atomic {                                            /* :262-269 */
      if
      :: mem[STATE] == st ->
        nx = st - ONE;
#ifdef MUTANT_JUDGED_CLEARS_S
        clears = starves;
#else
        clears = starving;
#endif
#ifndef MUTANT_LEAVER_KEEPS_S
        if
        :: clears ->
          /* Only a writer that parked as a starving writer takes S along: S on the word is
           * otherwise another writer's (the `starves` / `starving` split). */
          assert((st & S) == 0 || announced);
          nx = nx & ~S; reserved = false
        :: else -> skip
        fi;
#endif
        mem[STATE] = nx; ok = true; CHECK_S
      :: else -> st = mem[STATE]
      fi
    }
    if
    :: ok -> break
    :: else -> skip
    fi
  od;
  ok = false;
  if
  :: (nx & WAITING) == 0 ->                             /* :273-275 */
#ifndef MUTANT_LEAVE_NO_READERS
    if
    :: (nx & W) == 0 && mem[RWAIT] != 0 -> wake_readers()
    :: else -> skip
    fi
#else
    skip
#endif
  :: else ->
    if
    :: clears -> wake_writer(true)                      /* :279-282 */
    :: else ->
#ifndef MUTANT_NO_PASS_ON
      if
      :: (nx & (W | R)) == 0 -> wake_writer((nx & S) != 0) /* :287 */
      :: else -> skip
      fi
#else
      skip
#endif
    fi
  fi;
  st = 0; nx = 0; clears = false
}

/* writeSlow (:359): sets `took`, or gives up (`expired`). */
inline write_slow() {
  do
  :: true ->
    seq = mem[WSEQ];                                    /* :395 */
    st = mem[STATE];                                    /* :396 */
    if
#ifdef MUTANT_ANYONE_TAKES_RESERVED
    :: (st & (W | R)) == 0 ->
#else
    :: (st & (W | R)) == 0 && (starves || (st & S) == 0) -> /* :400 */
#endif
      nx = st;
      if
      :: waiting -> nx = nx - ONE                       /* :401 */
      :: else -> skip
      fi;
#ifndef MUTANT_TAKER_KEEPS_S
      if
      :: starves -> nx = nx & ~S                        /* :402 */
      :: else -> skip
      fi;
#endif
      atomic {                                          /* :403 CAS st -> nx | W */
        if
        :: mem[STATE] == st -> mem[STATE] = nx | W; took = true; CHECK_S
        :: else -> skip
        fi
      }
      if
      :: took -> waiting = false; starving = false; announced = false; break /* :404-407 */
      :: else -> skip                                   /* :409 look again */
      fi
    :: else ->
      if                                                /* :429 the deadline may pass */
      :: timed && !expired -> expired = true
      :: true -> skip
      fi;
      if
      :: expired -> break                               /* :429 */
      :: !expired && !waiting ->                        /* :431-437 register */
        atomic {
          if
          :: mem[STATE] == st -> mem[STATE] = st + ONE; waiting = true; CHECK_S
          :: else -> skip
          fi
        }
      :: !expired && waiting ->
        cont = false;
        if
        :: starves && (st & S) == 0 ->                  /* :442-444 set S */
          atomic {
            if
            :: mem[STATE] == st -> mem[STATE] = st | S; CHECK_S
            :: else -> cont = true
            fi
          }
        :: else -> skip
        fi;
        if
        :: cont -> skip                                 /* :443 continue */
        :: else ->
          if                                            /* announced: S may be ours */
          :: starves -> starving = true; announced = true
          :: else -> skip
          fi;
          if                                            /* :447-462 park */
          :: starves && asyncWait ->
            futex_wait_async(me - 1, WSEQ, seq, WASYNC, timed, expired, false, res)
          :: starves ->
            futex_wait(me - 1, WSEQ, seq, timed, expired, false, res)
#ifdef NO_HANDOFF
          :: !starves && asyncWait ->
            futex_wait_async(me - 1, WSEQ, seq, WASYNC, timed, expired, false, res)
          :: !starves ->
            futex_wait(me - 1, WSEQ, seq, timed, expired, false, res)
#else
          :: !starves && asyncWait ->
            futex_wait_async(me - 1, WSEQ, seq, WASYNC, !due, due, false, res)
          :: !starves ->
            futex_wait(me - 1, WSEQ, seq, !due, due, false, res)
#endif
          fi;
          res = OK;
          if                                            /* :462 an abort at the yield: */
          :: timed && !expired -> expired = true; break /* `finally` runs, no look */
          :: true -> skip
          fi;
#ifndef NO_HANDOFF
          if                                            /* :420-427 time passes */
          :: !due -> due = true
          :: true -> skip
          fi;
          starves = due                                 /* the judgement, not yet announced */
#endif
        fi
      fi
    fi
  od;
  if
  :: waiting -> leave_waiting()                         /* :466 finally */
  :: else -> skip
  fi
}

/* A writer: `iters` write locks (fast CAS, then the slow path), each released. */
proctype Writer(byte me; byte iters; bool timed; bool asyncWait) {
  byte st, nx, seq, res, wk, n;
  bool took, expired, waiting, starves, starving, due, ok, cont, clears;
  /* Ghost: this writer parked as a starving writer since it last took the lock. */
  bool announced;
  for (n : 1 .. iters) {
    atomic {                                            /* :663 / :701 fast CAS 0 -> W */
      if
      :: mem[STATE] == 0 -> mem[STATE] = W; took = true
      :: else -> skip
      fi
    }
    if
    :: !took -> write_slow()
    :: else -> skip
    fi;
    if
    :: took ->
      enter(starves);
      took = false; starves = false; due = false;
      unlock_write()
    :: else -> expired = false; starves = false; starving = false; announced = false; due = false
    fi
  }
}

/* tryEnterRead (:174) with BLOCKS_READER (no barging reader here): sets `took`. */
inline try_read() {
  st = mem[STATE];
  atomic {
    if
    :: (st & (W | WAITING)) == 0 && mem[STATE] == st -> mem[STATE] = st + R; took = true
    :: else -> skip
    fi
  }
}

/*
 * A reader (-DREADER, in place of writer B): one read lock without deadline, the fast path, then
 * readSlow (:303-334): count in RWAIT, read RSEQ before STATE, sleep on RSEQ. Its release is
 * unlockRead (:225-230): the last reader out wakes the writers, every one with S.
 */
proctype Reader(byte me) {
  byte st, seq, res, wk;
  bool took, expired;
  do
  :: true ->
    try_read();
    if
    :: took -> break
    :: else -> skip
    fi;
    st = 0;
    mem[RWAIT]++;                                       /* :313 */
    do
    :: true ->
      seq = mem[RSEQ];                                  /* :322 */
      try_read();                                       /* :323 */
      if
      :: took -> break
      :: else -> st = 0
      fi;
      futex_wait(me - 1, RSEQ, seq, false, expired, false, res); /* :327 */
      res = OK
    od;
    mem[RWAIT]--;                                       /* :332 */
    break
  od;
  readersIn++;
  assert(inside == 0);
  readersIn--;
  atomic { mem[STATE] = mem[STATE] - R; st = mem[STATE]; CHECK_S }  /* :226 */
  if
  :: (st & R) == 0 && (st & WAITING) != 0 -> wake_writer((st & S) != 0) /* :229 */
  :: else -> skip
  fi
}

init {
  atomic {
    byte k;
    for (k : 0 .. NPROC - 1) {
      waitOn[k] = NONE
    }
    run Writer(1, A_WRITES, false, false);
#ifdef READER
    run Reader(2);
#else
    run Writer(2, 1, false, false);
#endif
    run Writer(3, 1, true, true)
  }
  /* Every process has ended: the lock is free, nobody counted, no S, nobody registered. */
  (_nr_pr == 1) ->
  assert(mem[STATE] == 0 && mem[WASYNC] == 0 && mem[RWAIT] == 0)
}
