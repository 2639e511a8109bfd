/*
 * rwlock.pml: the writers of src/rwlock.ts and their hand-off (issue 10), with -DREADER one reader:
 * STATE's W bit, the count of waiting writers `w` and the STARVING bit S, the WSEQ sleep slot and
 * its async count (and RWAIT, RSEQ for the reader).
 *
 * Mirrors (rwlock.ts line numbers; see models/README.md):
 *   write_fast    the fast CAS 0 -> W of writeSync/write (:645, :683)
 *   write_slow    writeSlow (:354-450) with SPIN_LIMIT 0: the look (:379-380), the take with
 *                 w-1 and, starving, S cleared (:384-393), the deadline (:413), registering in w
 *                 (:415-421), setting S (:426-428), the park with the starve timer (:433-444),
 *                 becoming starving (:404-411: judged at the first turn after the wake that finds
 *                 the lock held, which then looks again; the model judges right after the park,
 *                 its `due` free, which covers that: a look before the judgement is a look made
 *                 while not yet due), `finally` (:448)
 *   leave_waiting leaveWaiting (:254-283)
 *   unlock_write  unlockWrite (:229-247), the wake of the writers (wakeWriter, :204-207)
 *
 * STATE is one byte here: W = 1, w in bits 1-2 (ONE = 2), S = 8, one reader R = 16 (bit 16, bits
 * 17-30, bit 31 and bits 0-15 in the code). With -DREADER, writer B is a reader instead (no
 * deadline, no barging: readSlow :298-327 and unlockRead :221-226, whose last reader out wakes
 * every writer when S is set); without it r = 0 throughout. The OWNER slot is not modelled.
 *
 * Time: a writer that is not starving parks with the starve timer (:435), which may fire at any
 * moment of that sleep (once: the writer is then due); time may also pass while it sleeps for
 * other reasons, so after any park a writer may become due (:404-411). A due writer is starving. The
 * timed writer's deadline may pass at its check (:413) or while it sleeps (starving: its park
 * has the deadline only).
 *
 * Workload: writer A (no deadline) writes A_WRITES times (1; -DA_WRITES=2 also verifies, 23 million
 * states); writer B (no deadline) once; writer C (with a deadline, each park sync or async) once,
 * or gives up: its deadline passes, or it is aborted at a park (the generator's `finally` runs
 * at the `yield`, :444, without another look). Every run can end, so a writer asleep at
 * the end is a lost wake-up (an invalid end state). -DNO_HANDOFF takes the hand-off out (the
 * barging RWLock as it was: nobody starves), also verified; the wake-up mutants run with it, for
 * the reason semaphore.pml gives (with the hand-off, a sleeper that is not starving wakes by its
 * starve timer, so a lost wake costs it at most STARVE_AFTER_MS, which no end state shows).
 *
 * Properties: one writer inside at a time; a writer that is not starving never takes a lock that a
 * release left reserved (ghost `reserved`: set by a release that saw S, cleared when a starving
 * writer takes the lock or a starving writer leaving takes S away); S implies w > 0 after every
 * change of STATE; once every process has ended, STATE = 0 and nobody is registered on WSEQ.
 *
 * Mutants (spin -DMUTANT_...):
 *   MUTANT_RELEASE_DROPS_S   the release clears S with W (:236): a barging writer takes the lock
 *                            a starving writer was promised
 *   MUTANT_ANYONE_TAKES_RESERVED  a writer that is not starving takes a reserved lock (:384)
 *   MUTANT_TAKER_KEEPS_S     a starving writer takes the lock without clearing S (:386)
 *   MUTANT_LEAVER_KEEPS_S    a starving writer that gives up leaves S behind (:260): a reserved
 *                            lock with nobody to take it
 *   MUTANT_LEAVE_NO_READERS  (with READER) the last waiting writer gives up without letting the
 *                            readers it held back in (:269)
 *   MUTANT_NO_PASS_ON        (with NO_HANDOFF) a writer that gives up does not pass on the wake
 *                            it may have consumed (:282)
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

/* wakeWriter (:204): bump WSEQ (:205), wake one or all (:206). */
inline wake_writer(all) {
  mem[WSEQ]++;
  if
  :: all -> futex_wake(WSEQ, ALL, WASYNC, wk)
  :: else -> futex_wake(WSEQ, 1, WASYNC, wk)
  fi
}

/* wakeReaders (:215): bump RSEQ, wake all. */
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

/* unlockWrite (:229): clear W keeping S (:233-239), then wake (:243-246). */
inline unlock_write() {
  st = W;
  do
  :: true ->
    atomic {                                            /* :236 CAS st -> st & ~W */
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
  :: (st & WAITING) != 0 -> wake_writer((st & S) != 0) /* :243-244 */
  :: else ->
    if
    :: mem[RWAIT] != 0 -> wake_readers()                /* :246 */
    :: else -> skip
    fi
  fi;
  st = 0
}

/* leaveWaiting (:254): uncount (and, starving, take S away) in one CAS, then pass the wake on. */
inline leave_waiting() {
  st = mem[STATE];                                      /* :255 */
  do
  :: true ->
    atomic {                                            /* :258-261 */
      if
      :: mem[STATE] == st ->
        nx = st - ONE;
#ifndef MUTANT_LEAVER_KEEPS_S
        if
        :: starving -> nx = nx & ~S; reserved = false
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
  :: (nx & WAITING) == 0 ->                             /* :268-270 */
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
    :: starving -> wake_writer(true)                    /* :274-277 */
    :: else ->
#ifndef MUTANT_NO_PASS_ON
      if
      :: (nx & (W | R)) == 0 -> wake_writer((nx & S) != 0) /* :282 */
      :: else -> skip
      fi
#else
      skip
#endif
    fi
  fi;
  st = 0; nx = 0
}

/* writeSlow (:354): sets `took`, or gives up (`expired`). */
inline write_slow() {
  do
  :: true ->
    seq = mem[WSEQ];                                    /* :379 */
    st = mem[STATE];                                    /* :380 */
    if
#ifdef MUTANT_ANYONE_TAKES_RESERVED
    :: (st & (W | R)) == 0 ->
#else
    :: (st & (W | R)) == 0 && (starving || (st & S) == 0) -> /* :384 */
#endif
      nx = st;
      if
      :: waiting -> nx = nx - ONE                       /* :385 */
      :: else -> skip
      fi;
#ifndef MUTANT_TAKER_KEEPS_S
      if
      :: starving -> nx = nx & ~S                       /* :386 */
      :: else -> skip
      fi;
#endif
      atomic {                                          /* :387 CAS st -> nx | W */
        if
        :: mem[STATE] == st -> mem[STATE] = nx | W; took = true; CHECK_S
        :: else -> skip
        fi
      }
      if
      :: took -> waiting = false; break                 /* :388-391 (starving stays for enter) */
      :: else -> skip                                   /* :393 look again */
      fi
    :: else ->
      if                                                /* :413 the deadline may pass */
      :: timed && !expired -> expired = true
      :: true -> skip
      fi;
      if
      :: expired -> break                               /* :413 */
      :: !expired && !waiting ->                        /* :415-421 register */
        atomic {
          if
          :: mem[STATE] == st -> mem[STATE] = st + ONE; waiting = true; CHECK_S
          :: else -> skip
          fi
        }
      :: !expired && waiting ->
        cont = false;
        if
        :: starving && (st & S) == 0 ->                 /* :426-428 set S */
          atomic {
            if
            :: mem[STATE] == st -> mem[STATE] = st | S; CHECK_S
            :: else -> cont = true
            fi
          }
        :: else -> skip
        fi;
        if
        :: cont -> skip                                 /* :427 continue */
        :: else ->
          if                                            /* :433-444 park */
          :: starving && asyncWait ->
            futex_wait_async(me - 1, WSEQ, seq, WASYNC, timed, expired, false, res)
          :: starving ->
            futex_wait(me - 1, WSEQ, seq, timed, expired, false, res)
#ifdef NO_HANDOFF
          :: !starving && asyncWait ->
            futex_wait_async(me - 1, WSEQ, seq, WASYNC, timed, expired, false, res)
          :: !starving ->
            futex_wait(me - 1, WSEQ, seq, timed, expired, false, res)
#else
          :: !starving && asyncWait ->
            futex_wait_async(me - 1, WSEQ, seq, WASYNC, !due, due, false, res)
          :: !starving ->
            futex_wait(me - 1, WSEQ, seq, !due, due, false, res)
#endif
          fi;
          res = OK;
          if                                            /* :444 an abort at the yield: */
          :: timed && !expired -> expired = true; break /* `finally` runs, no look */
          :: true -> skip
          fi;
#ifndef NO_HANDOFF
          if                                            /* :404-411 time passes */
          :: !due -> due = true
          :: true -> skip
          fi;
          starving = due
#endif
        fi
      fi
    fi
  od;
  if
  :: waiting -> leave_waiting()                         /* :448 finally */
  :: else -> skip
  fi
}

/* A writer: `iters` write locks (fast CAS, then the slow path), each released. */
proctype Writer(byte me; byte iters; bool timed; bool asyncWait) {
  byte st, nx, seq, res, wk, n;
  bool took, expired, waiting, starving, due, ok, cont;
  for (n : 1 .. iters) {
    atomic {                                            /* :645 / :683 fast CAS 0 -> W */
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
      enter(starving);
      took = false; starving = false; due = false;
      unlock_write()
    :: else -> expired = false; starving = false; due = false
    fi
  }
}

/* tryEnterRead (:170) with BLOCKS_READER (no barging reader here): sets `took`. */
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
 * readSlow (:298-327): count in RWAIT, read RSEQ before STATE, sleep on RSEQ. Its release is
 * unlockRead (:221-226): the last reader out wakes the writers, every one with S.
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
    mem[RWAIT]++;                                       /* :308 */
    do
    :: true ->
      seq = mem[RSEQ];                                  /* :314 */
      try_read();                                       /* :315 */
      if
      :: took -> break
      :: else -> st = 0
      fi;
      futex_wait(me - 1, RSEQ, seq, false, expired, false, res); /* :319 */
      res = OK
    od;
    mem[RWAIT]--;                                       /* :324 */
    break
  od;
  readersIn++;
  assert(inside == 0);
  readersIn--;
  atomic { mem[STATE] = mem[STATE] - R; st = mem[STATE]; CHECK_S }  /* :222 */
  if
  :: (st & R) == 0 && (st & WAITING) != 0 -> wake_writer((st & S) != 0) /* :225 */
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
