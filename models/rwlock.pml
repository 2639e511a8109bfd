/*
 * rwlock.pml: the writers of src/rwlock.ts and their hand-off (issue 10), with -DREADER one reader:
 * STATE's W bit, the count of waiting writers `w` and the STARVING bit S, the WSEQ sleep slot and
 * its async count (and RWAIT, RSEQ for the reader).
 *
 * Mirrors (rwlock.ts line numbers; see models/README.md):
 *   write_fast    the fast CAS 0 -> W of writeSync/write (:829, :872)
 *   write_slow    writeSlow (:507-623) with SPIN_LIMIT 0: the look (:550-551), the take with
 *                 w-1 and, starving, S cleared (:555-564), the deadline (:584), registering in w
 *                 (:586-592), setting S (:597-599) and announcing it (:601: `starving`, S may
 *                 be ours), the park with the starve timer (:602-617),
 *                 becoming starving (:575-582, `starves`: judged at the first turn after the wake that finds
 *                 the lock held, which then looks again; the model judges right after the park,
 *                 its `due` free, which covers that: a look before the judgement is a look made
 *                 while not yet due), `finally` (:621)
 *   leave_waiting leaveWaiting (:324-353)
 *   unlock_write  unlockWrite (:288-316), the wake of the writers (wakeWriter, :263-266); with
 *                 -DLOCAL only for writers counted besides T's parked local writes (:309)
 *   Local         (-DLOCAL) a local write of A's thread T (waitHere :473-501 with LocalWait,
 *                 futex.ts "Local waits"): called while A holds the lock, writeHeldHere (:444-447)
 *                 and countWaiting (:450-458); then T's release (releasedHere :315) and its retry,
 *                 tryEnterWrite counted (:242-256), or the end of T's turn, both handing over
 *                 to writeSlow counted (:482); or an abort, leaveWaiting (:491)
 *
 * STATE is one byte here: W = 1, w in bits 1-2 (ONE = 2), S = 8, one reader R = 16 (bit 16, bits
 * 17-30, bit 31 and bits 0-15 in the code). With -DREADER, writer B is a reader instead (no
 * deadline, no barging: readSlow :368-411 and unlockRead :280-285, whose last reader out wakes
 * every writer when S is set); without it r = 0 throughout. The OWNER slot is not modelled.
 *
 * Time: a writer that is not starving parks with the starve timer (:608), which may fire at any
 * moment of that sleep (once: the writer is then due); time may also pass while it sleeps for
 * other reasons, so after any park a writer may become due (:575-582). A due writer starves
 * (`starves`), and announces it at its next park (`starving`: S on the word may be ours). The
 * timed writer's deadline may pass at its check (:584) or while it sleeps (starving: its park
 * has the deadline only).
 *
 * Workload: writer A (no deadline) writes A_WRITES times (1; -DA_WRITES=2 also verifies, 23 million
 * states); writer B (no deadline) once; writer C (with a deadline, each park sync or async) once,
 * or gives up: its deadline passes, or it is aborted at a park (the generator's `finally` runs
 * at the `yield`, :617, without another look). Every run can end, so a writer asleep at
 * the end is a lost wake-up (an invalid end state). -DNO_HANDOFF takes the hand-off out (the
 * barging RWLock as it was: nobody starves), also verified; the wake-up mutants run with it, for
 * the reason semaphore.pml gives (with the hand-off, a sleeper that is not starving wakes by its
 * starve timer, so a lost wake costs it at most STARVE_AFTER_MS, which no end state shows).
 *
 * -DLOCAL: C's place is taken by L, a local write of writer A's thread T, called by T while A
 * holds the lock (as a second async task of T would). T's synchronous code (A's release and the
 * releasedHere after it, ghost `tbusy`) runs without L's steps in between: L's retry runs in a
 * microtask after it, the end of T's turn and an abort at any other time while L is parked. The
 * reader of -DREADER may never enter while L is parked or its retry is queued (writer preference:
 * L is counted in w). 1.7 million states (3.3 million for progress); with -DREADER 0.24 million;
 * -DNO_HANDOFF 0.32 million; -DA_WRITES=2 10.6 million (too big for the suite).
 *
 * Properties: one writer inside at a time; a writer that is not starving never takes a lock that a
 * release left reserved (ghost `reserved`: set by a release that saw S, cleared when a starving
 * writer takes the lock or a starving writer leaving takes S away); a writer that gives up takes
 * S away only if it parked as a starving writer (ghost `announced`): one that judged it starves
 * at the wake where its deadline passed leaves another's S alone; S implies w > 0 after every
 * change of STATE; once every process has ended, STATE = 0 and nobody is registered on WSEQ.
 *
 * Mutants (spin -DMUTANT_...):
 *   MUTANT_RELEASE_DROPS_S   the release clears S with W (:295): a barging writer takes the lock
 *                            a starving writer was promised
 *   MUTANT_ANYONE_TAKES_RESERVED  a writer that is not starving takes a reserved lock (:555)
 *   MUTANT_TAKER_KEEPS_S     a starving writer takes the lock without clearing S (:557)
 *   MUTANT_LEAVER_KEEPS_S    a starving writer that gives up leaves S behind (:330): a reserved
 *                            lock with nobody to take it
 *   MUTANT_JUDGED_CLEARS_S   a writer that judged it starves but never parked as one takes S
 *                            away as it gives up (:621; the code before 2026-12-05): another
 *                            starving writer's hand-off lost until it next wakes
 *   MUTANT_LEAVE_NO_READERS  (with READER) the last waiting writer gives up without letting the
 *                            readers it held back in (:339)
 *   MUTANT_NO_PASS_ON        (with NO_HANDOFF) a writer that gives up does not pass on the wake
 *                            it may have consumed (:352)
 *   MUTANT_LOCAL_UNCOUNTED   (with LOCAL, READER) L not counted in w (the code of 50529fd): a
 *                            reader enters between T's release and L's retry
 *   MUTANT_NO_LEAVE          (with LOCAL) an aborted L leaves its count in w: the readers and
 *                            the fast path held back for good (STATE != 0 at the end)
 * Not caught, since it only costs time: MUTANT_SKIP_WHEN_LOCAL, T's release waking no writer
 * while L is parked, whoever else is counted (every exit of L wakes or passes the wake on: its
 * release, leaveWaiting, or the slow path's park whose starve timer ends it).
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

#ifdef LOCAL
/*
 * Thread T: writer A and its local write L (-DLOCAL). `ownerT`: OWNER is T's ident. `tbusy`: T
 * runs the synchronous code of A's release (unlockWrite, then releasedHere): L's steps, which run
 * in T's microtasks or at the end of T's turn, wait for it. `lstate`: L not yet called (0), parked
 * locally (1: in T's list, what localWaitsAt counts), woken by releasedHere with its retry queued
 * (2), or past its local wait (3).
 */
bool ownerT, tbusy;
byte lstate;
#define LOCALS (lstate == 1)
#else
#define LOCALS 0
#endif

#define CHECK_S assert((mem[STATE] & S) == 0 || (mem[STATE] & WAITING) != 0)

/* wakeWriter (:263): bump WSEQ (:264), wake one or all (:265). */
inline wake_writer(all) {
  mem[WSEQ]++;
  if
  :: all -> futex_wake(WSEQ, ALL, WASYNC, wk)
  :: else -> futex_wake(WSEQ, 1, WASYNC, wk)
  fi
}

/* wakeReaders (:274): bump RSEQ, wake all. */
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

/*
 * unlockWrite (:288): clear W keeping S (:292-298), then wake (:302-311). `locals`: T's local
 * writes parked (localWaitsAt, :309), read by T's release only (0 for every other thread's).
 */
inline unlock_write(locals) {
  st = W;
  do
  :: true ->
    atomic {                                            /* :295 CAS st -> st & ~W */
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
  :: (st & WAITING) != 0 ->
#if defined(MUTANT_SKIP_WHEN_LOCAL)
    if                                                  /* skips while any local write waits */
    :: locals == 0 -> wake_writer((st & S) != 0)
    :: else -> skip
    fi
#elif defined(LOCAL) && !defined(MUTANT_LOCAL_UNCOUNTED)
    if                                                  /* :309 writers besides T's local ones */
    :: (st & WAITING) / ONE > locals -> wake_writer((st & S) != 0)
    :: else -> skip
    fi
#else
    wake_writer((st & S) != 0)                          /* :302-309 */
#endif
  :: else ->
    if
    :: mem[RWAIT] != 0 -> wake_readers()                /* :311 */
    :: else -> skip
    fi
  fi;
  st = 0
}

/* leaveWaiting (:324): uncount (and, starving, take S away) in one CAS, then pass the wake on. */
inline leave_waiting() {
  st = mem[STATE];                                      /* :325 */
  do
  :: true ->
    atomic {                                            /* :327-334 */
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
  :: (nx & WAITING) == 0 ->                             /* :338-340 */
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
    :: clears -> wake_writer(true)                      /* :344-347 */
    :: else ->
#ifndef MUTANT_NO_PASS_ON
      if
      :: (nx & (W | R)) == 0 -> wake_writer((nx & S) != 0) /* :352 */
      :: else -> skip
      fi
#else
      skip
#endif
    fi
  fi;
  st = 0; nx = 0; clears = false
}

/* writeSlow (:507): sets `took`, or gives up (`expired`). */
inline write_slow() {
  do
  :: true ->
    seq = mem[WSEQ];                                    /* :550 */
    st = mem[STATE];                                    /* :551 */
    if
#ifdef MUTANT_ANYONE_TAKES_RESERVED
    :: (st & (W | R)) == 0 ->
#else
    :: (st & (W | R)) == 0 && (starves || (st & S) == 0) -> /* :555 */
#endif
      nx = st;
      if
      :: waiting -> nx = nx - ONE                       /* :556 */
      :: else -> skip
      fi;
#ifndef MUTANT_TAKER_KEEPS_S
      if
      :: starves -> nx = nx & ~S                        /* :557 */
      :: else -> skip
      fi;
#endif
      atomic {                                          /* :558 CAS st -> nx | W */
        if
        :: mem[STATE] == st -> mem[STATE] = nx | W; took = true; CHECK_S
        :: else -> skip
        fi
      }
      if
      :: took -> waiting = false; starving = false; announced = false; break /* :559-562 */
      :: else -> skip                                   /* :564 look again */
      fi
    :: else ->
      if                                                /* :584 the deadline may pass */
      :: timed && !expired -> expired = true
      :: true -> skip
      fi;
      if
      :: expired -> break                               /* :584 */
      :: !expired && !waiting ->                        /* :586-592 register */
        atomic {
          if
          :: mem[STATE] == st -> mem[STATE] = st + ONE; waiting = true; CHECK_S
          :: else -> skip
          fi
        }
      :: !expired && waiting ->
        cont = false;
        if
        :: starves && (st & S) == 0 ->                  /* :597-599 set S */
          atomic {
            if
            :: mem[STATE] == st -> mem[STATE] = st | S; CHECK_S
            :: else -> cont = true
            fi
          }
        :: else -> skip
        fi;
        if
        :: cont -> skip                                 /* :598 continue */
        :: else ->
          if                                            /* announced: S may be ours */
          :: starves -> starving = true; announced = true
          :: else -> skip
          fi;
          if                                            /* :602-617 park */
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
          if                                            /* :617 an abort at the yield: */
          :: timed && !expired -> expired = true; break /* `finally` runs, no look */
          :: true -> skip
          fi;
#ifndef NO_HANDOFF
          if                                            /* :575-582 time passes */
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
  :: waiting -> leave_waiting()                         /* :621 finally */
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
    atomic {                                            /* :829 / :872 fast CAS 0 -> W */
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
#ifdef LOCAL
      if
      :: me == 1 ->
        ownerT = true;                                  /* OWNER = T (:416, :561) */
        if
        :: lstate == 0 ->                               /* T calls L's write() (waitHere) */
          if
          :: (mem[STATE] & (W | S)) == W && ownerT ->   /* writeHeldHere */
#ifdef MUTANT_LOCAL_UNCOUNTED
            lstate = 1                                  /* parked, not counted (50529fd) */
#else
            atomic {                                    /* countWaiting: w + 1 */
              mem[STATE] = mem[STATE] + ONE; lstate = 1; CHECK_S
            }
#endif
          :: else -> lstate = 3                         /* the slow path, uncounted */
          fi
        :: else -> skip
        fi
      :: else -> skip
      fi;
#endif
      enter(starves);
      took = false; starves = false; due = false;
#ifdef LOCAL
      if
      :: me == 1 ->
        tbusy = true;
        ownerT = false;                                 /* OWNER = 0 before W goes */
        unlock_write(LOCALS);
        if                                              /* releasedHere */
        :: lstate == 1 -> lstate = 2
        :: else -> skip
        fi;
        tbusy = false
      :: else -> unlock_write(0)
      fi
#else
      unlock_write(0)
#endif
    :: else -> expired = false; starves = false; starving = false; announced = false; due = false
    fi
  }
}

#ifdef LOCAL
/*
 * L, T's local write (waitHere, LocalWait): waits for its call, then, parked locally, for T's
 * release (its retry: tryEnterWrite counted, else the slow path, counted), the end of T's turn (the slow
 * path, counted) or an abort (leaveWaiting); not parked (lstate 3 at the call), the slow path.
 * No deadline (the slow path's is C's to check); its take sets OWNER = T.
 */
proctype Local(byte me) {
  byte st, nx, seq, res, wk;
  bool took, expired, waiting, starves, starving, due, ok, cont, clears, announced;
  bool timed = false;
  bool asyncWait = true;
  bool aborted;
  (lstate != 0);
  if
  :: lstate == 3 -> skip
  :: else ->
    if
    :: atomic { !tbusy && lstate == 1 -> lstate = 3 }  /* the turn ends: hand over */
#ifndef MUTANT_LOCAL_UNCOUNTED
      waiting = true
#endif
    :: atomic { !tbusy && lstate == 1 -> lstate = 3; aborted = true } /* an abort */
    :: atomic {
         !tbusy && lstate == 2 ->                       /* the retry, in a microtask */
         st = mem[STATE];
         lstate = 3;
#ifdef MUTANT_LOCAL_UNCOUNTED
         if                                             /* tryEnterWrite: barges, uncounted */
         :: (st & (W | R | S)) == 0 -> mem[STATE] = st | W; took = true; CHECK_S
         :: else -> skip
         fi
#else
         if                                             /* tryEnterWrite, counted: W set, w - 1 */
         :: (st & (W | R | S)) == 0 -> mem[STATE] = (st - ONE) | W; took = true; CHECK_S
         :: else -> waiting = true                      /* not held by T: hand over, counted */
         fi
#endif
       }
    fi
  fi;
  if
  :: aborted ->
#if !defined(MUTANT_NO_LEAVE) && !defined(MUTANT_LOCAL_UNCOUNTED)
    leave_waiting()                                     /* LocalWaitRequest.leave */
#else
    skip
#endif
  :: !aborted && !took -> write_slow()                  /* writeSlow(counted) */
  :: else -> skip
  fi;
  if
  :: took ->
    ownerT = true;                                      /* OWNER = T */
    enter(starves);
    ownerT = false;
    unlock_write(0)                                     /* L is not parked now */
  :: else -> skip
  fi
}
#endif

/* tryEnterRead (:225) with BLOCKS_READER (no barging reader here): sets `took`. */
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
 * readSlow (:368-411): count in RWAIT, read RSEQ before STATE, sleep on RSEQ. Its release is
 * unlockRead (:280-285): the last reader out wakes the writers, every one with S.
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
    mem[RWAIT]++;                                       /* :379 */
    do
    :: true ->
      seq = mem[RSEQ];                                  /* :396 */
      try_read();                                       /* :397 */
      if
      :: took -> break
      :: else -> st = 0
      fi;
      futex_wait(me - 1, RSEQ, seq, false, expired, false, res); /* :404 */
      res = OK
    od;
    mem[RWAIT]--;                                       /* :409 */
    break
  od;
  readersIn++;
  assert(inside == 0);
#ifdef LOCAL
  /* Writer preference: no reader enters while T's local write waits (counted in w). */
  assert(lstate != 1 && lstate != 2);
#endif
  readersIn--;
  atomic { mem[STATE] = mem[STATE] - R; st = mem[STATE]; CHECK_S }  /* :281 */
  if
  :: (st & R) == 0 && (st & WAITING) != 0 -> wake_writer((st & S) != 0) /* :284 */
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
#ifdef LOCAL
    run Local(3)                                        /* in C's place */
#else
    run Writer(3, 1, true, true)
#endif
  }
  /* Every process has ended: the lock is free, nobody counted, no S, nobody registered. */
  (_nr_pr == 1) ->
  assert(mem[STATE] == 0 && mem[WASYNC] == 0 && mem[RWAIT] == 0)
}
