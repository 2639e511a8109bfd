/*
 * rwlock.pml: the writers of src/rwlock.ts and their hand-off (issue 10), with -DREADER one reader:
 * STATE's W bit, the count of waiting writers `w` and the STARVING bit S, the WSEQ sleep slot and
 * its async count (and RWAIT, RSEQ for the reader).
 *
 * Mirrors (rwlock.ts line numbers; see models/README.md):
 *   write_fast    the fast CAS 0 -> W of writeSync/write (:871, :914)
 *   write_slow    writeSlow (:544-660) with SPIN_LIMIT 0: the look (:587-588), the take with
 *                 w-1 and, starving, S cleared (:592-601), the deadline (:621), registering in w
 *                 (:623-629), setting S (:634-636) and announcing it (:638: `starving`, S may
 *                 be ours), the park with the starve timer (:639-654),
 *                 becoming starving (:612-619, `starves`: judged at the first turn after the wake that finds
 *                 the lock held, which then looks again; the model judges right after the park,
 *                 its `due` free, which covers that: a look before the judgement is a look made
 *                 while not yet due), `finally` (:658)
 *   leave_waiting leaveWaiting (:329-358)
 *   unlock_write  unlockWrite (:291-321), the wake of the writers (wakeWriter, :266-269); with
 *                 -DLOCAL only for writers counted besides T's parked local writes (:312)
 *   Local         (-DLOCAL) a local write of A's thread T (waitHere :478-507 with LocalWait,
 *                 futex.ts "Local waits"): called while A holds the lock, writeHeldHere (:449-452)
 *                 and countWaiting (:455-463); then T's release (releasedHere :320) and its retry,
 *                 tryEnterWrite counted (:245-259), or the end of T's turn, both handing over
 *                 to writeSlow counted (:487); or an abort, leaveWaiting (:496)
 *   LocalRead     (-DLOCAL_READ, in Reader) a read of A's thread T (readHere :519-538 with
 *                 LocalWait): called while A holds the lock, parked counted nowhere; T's release
 *                 queues its retry, tryEnterRead (:228), else again while writeHeldHere, else
 *                 readSlow; or the end of T's turn (readSlow); or an abort (nothing to undo)
 *
 * STATE is one byte here: W = 1, w in bits 1-2 (ONE = 2), S = 8, one reader R = 16 (bit 16, bits
 * 17-30, bit 31 and bits 0-15 in the code). With -DREADER, writer B is a reader instead (no
 * deadline, no barging: readSlow :373-416 and unlockRead :283-288, whose last reader out wakes
 * every writer when S is set); without it r = 0 throughout. The OWNER slot is not modelled.
 *
 * Time: a writer that is not starving parks with the starve timer (:645), which may fire at any
 * moment of that sleep (once: the writer is then due); time may also pass while it sleeps for
 * other reasons, so after any park a writer may become due (:612-619). A due writer starves
 * (`starves`), and announces it at its next park (`starving`: S on the word may be ours). The
 * timed writer's deadline may pass at its check (:621) or while it sleeps (starving: its park
 * has the deadline only).
 *
 * Workload: writer A (no deadline) writes A_WRITES times (1; -DA_WRITES=2 also verifies, 23 million
 * states); writer B (no deadline) once; writer C (with a deadline, each park sync or async) once,
 * or gives up: its deadline passes, or it is aborted at a park (the generator's `finally` runs
 * at the `yield`, :654, without another look). Every run can end, so a writer asleep at
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
 * L is counted in w). 1.6 million states (3.1 million for progress); with -DREADER 0.24 million;
 * -DNO_HANDOFF 0.32 million; -DA_WRITES=2 10.6 million (too big for the suite).
 *
 * -DLOCAL_READ: B's place is taken by T's local read (readHere), called by T while A holds the
 * lock: parked locally and counted nowhere (not in RWAIT, not in w), its retry queued by T's
 * release (`released_here`, as L's), it takes a read lock as the fast path does, waits again if
 * T holds the write lock again (L took it), or runs readSlow; the end of T's turn hands it to
 * readSlow, an abort ends it. With -DLOCAL, L is in C's place: the reader's assertion that no
 * reader enters while L waits (writer preference) then covers the local read. Every release of
 * T (A's and L's) runs as one synchronous stretch of T (`tbusy`), not inside another. Every
 * reader's take asserts the invariant (W = 0 and w = 0). 0.37 million states (0.74 million for
 * progress); with -DLOCAL 0.13 million; -DNO_HANDOFF 0.18. -DC_UNTIMED gives C no deadline, so
 * that a wake of C that nobody sends leaves it asleep at the end (with -DNO_HANDOFF: no starve
 * timer either).
 *
 * Properties: one writer inside at a time; a writer that is not starving never takes a lock that a
 * release left reserved (ghost `reserved`: set by a release that saw S, cleared when a starving
 * writer takes the lock or a starving writer leaving takes S away); a writer that gives up takes
 * S away only if it parked as a starving writer (ghost `announced`): one that judged it starves
 * at the wake where its deadline passed leaves another's S alone; S implies w > 0 after every
 * change of STATE; once every process has ended, STATE = 0 and nobody is registered on WSEQ.
 *
 * Mutants (spin -DMUTANT_...):
 *   MUTANT_RELEASE_DROPS_S   the release clears S with W (:298): a barging writer takes the lock
 *                            a starving writer was promised
 *   MUTANT_ANYONE_TAKES_RESERVED  a writer that is not starving takes a reserved lock (:592)
 *   MUTANT_TAKER_KEEPS_S     a starving writer takes the lock without clearing S (:594)
 *   MUTANT_LEAVER_KEEPS_S    a starving writer that gives up leaves S behind (:335): a reserved
 *                            lock with nobody to take it
 *   MUTANT_JUDGED_CLEARS_S   a writer that judged it starves but never parked as one takes S
 *                            away as it gives up (:658; the code before 2026-12-05): another
 *                            starving writer's hand-off lost until it next wakes
 *   MUTANT_LEAVE_NO_READERS  (with READER) the last waiting writer gives up without letting the
 *                            readers it held back in (:344)
 *   MUTANT_NO_PASS_ON        (with NO_HANDOFF) a writer that gives up does not pass on the wake
 *                            it may have consumed (:357)
 *   MUTANT_LOCAL_UNCOUNTED   (with LOCAL, READER) L not counted in w (the code of 50529fd): a
 *                            reader enters between T's release and L's retry
 *   MUTANT_NO_LEAVE          (with LOCAL) an aborted L leaves its count in w: the readers and
 *                            the fast path held back for good (STATE != 0 at the end)
 *   MUTANT_READ_BARGES       (with LOCAL_READ) the local read's take ignores waiting writers
 *                            (tryEnterRead with WRITER only): it enters ahead of C, or of L
 *   MUTANT_READ_COUNTED      (with LOCAL_READ, C_UNTIMED, NO_HANDOFF) T's release counts the
 *                            local read among its local writes: C is never woken
 * Not caught, since it only costs time: MUTANT_SKIP_WHEN_LOCAL, T's release waking no writer
 * while L is parked, whoever else is counted (every exit of L wakes or passes the wake on: its
 * release, leaveWaiting, or the slow path's park whose starve timer ends it); nor
 * MUTANT_READ_COUNTED with C timed, T's release counting the local read as a local write (so
 * waking no writer of another thread while it waits): C ends by its deadline; with
 * -DC_UNTIMED -DNO_HANDOFF it is caught (C asleep at the end), as `tests/local_wait_test.ts`
 * ("the release still wakes a writer of another thread while a local read waits") catches it.
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

#if defined(LOCAL) || defined(LOCAL_READ)
/*
 * Thread T: writer A, its local write L (-DLOCAL) and its local read (-DLOCAL_READ). `ownerT`:
 * OWNER is T's ident. `tbusy`: T runs the synchronous code of a release (unlockWrite, then
 * releasedHere), A's or L's: the local waits' steps, which run in T's microtasks or at the end of
 * T's turn, wait for it, and so does another release. `lstate`: L not yet called (0), parked
 * locally (1: in T's list, what localWaitsAt counts), woken by releasedHere with its retry queued
 * (2), or past its local wait (3).
 */
bool ownerT, tbusy;
byte lstate;
/* The local read (-DLOCAL_READ, readHere): as `lstate`, for the read; counted nowhere. */
byte rstate;
#endif
#ifdef LOCAL
#define LOCALS_W (lstate == 1)
#else
#define LOCALS_W 0
#endif
/* What T's release reads from localWaitsAt(counted): its parked local writes only (:312). */
#ifdef MUTANT_READ_COUNTED
#define LOCALS (LOCALS_W + (rstate == 1))
#else
#define LOCALS LOCALS_W
#endif

#define CHECK_S assert((mem[STATE] & S) == 0 || (mem[STATE] & WAITING) != 0)

/* wakeWriter (:266): bump WSEQ (:267), wake one or all (:268). */
inline wake_writer(all) {
  mem[WSEQ]++;
  if
  :: all -> futex_wake(WSEQ, ALL, WASYNC, wk)
  :: else -> futex_wake(WSEQ, 1, WASYNC, wk)
  fi
}

/* wakeReaders (:277): bump RSEQ, wake all. */
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
 * unlockWrite (:291): clear W keeping S (:295-301), then wake (:305-316). `locals`: T's local
 * writes parked (localWaitsAt, :312), read by T's release only (0 for every other thread's).
 */
inline unlock_write(locals) {
  st = W;
  do
  :: true ->
    atomic {                                            /* :298 CAS st -> st & ~W */
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
#elif (defined(LOCAL) || defined(LOCAL_READ)) && !defined(MUTANT_LOCAL_UNCOUNTED)
    if                                                  /* :312 writers besides T's local ones */
    :: (st & WAITING) / ONE > locals -> wake_writer((st & S) != 0)
    :: else -> skip
    fi
#else
    wake_writer((st & S) != 0)                          /* :305-313 */
#endif
  :: else ->
    if
    :: mem[RWAIT] != 0 -> wake_readers()                /* :316 */
    :: else -> skip
    fi
  fi;
  st = 0
}

/* leaveWaiting (:329): uncount (and, starving, take S away) in one CAS, then pass the wake on. */
inline leave_waiting() {
  st = mem[STATE];                                      /* :330 */
  do
  :: true ->
    atomic {                                            /* :332-339 */
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
  :: (nx & WAITING) == 0 ->                             /* :343-345 */
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
    :: clears -> wake_writer(true)                      /* :349-352 */
    :: else ->
#ifndef MUTANT_NO_PASS_ON
      if
      :: (nx & (W | R)) == 0 -> wake_writer((nx & S) != 0) /* :357 */
      :: else -> skip
      fi
#else
      skip
#endif
    fi
  fi;
  st = 0; nx = 0; clears = false
}

/* writeSlow (:544): sets `took`, or gives up (`expired`). */
inline write_slow() {
  do
  :: true ->
    seq = mem[WSEQ];                                    /* :587 */
    st = mem[STATE];                                    /* :588 */
    if
#ifdef MUTANT_ANYONE_TAKES_RESERVED
    :: (st & (W | R)) == 0 ->
#else
    :: (st & (W | R)) == 0 && (starves || (st & S) == 0) -> /* :592 */
#endif
      nx = st;
      if
      :: waiting -> nx = nx - ONE                       /* :593 */
      :: else -> skip
      fi;
#ifndef MUTANT_TAKER_KEEPS_S
      if
      :: starves -> nx = nx & ~S                        /* :594 */
      :: else -> skip
      fi;
#endif
      atomic {                                          /* :595 CAS st -> nx | W */
        if
        :: mem[STATE] == st -> mem[STATE] = nx | W; took = true; CHECK_S
        :: else -> skip
        fi
      }
      if
      :: took -> waiting = false; starving = false; announced = false; break /* :596-599 */
      :: else -> skip                                   /* :601 look again */
      fi
    :: else ->
      if                                                /* :621 the deadline may pass */
      :: timed && !expired -> expired = true
      :: true -> skip
      fi;
      if
      :: expired -> break                               /* :621 */
      :: !expired && !waiting ->                        /* :623-629 register */
        atomic {
          if
          :: mem[STATE] == st -> mem[STATE] = st + ONE; waiting = true; CHECK_S
          :: else -> skip
          fi
        }
      :: !expired && waiting ->
        cont = false;
        if
        :: starves && (st & S) == 0 ->                  /* :634-636 set S */
          atomic {
            if
            :: mem[STATE] == st -> mem[STATE] = st | S; CHECK_S
            :: else -> cont = true
            fi
          }
        :: else -> skip
        fi;
        if
        :: cont -> skip                                 /* :635 continue */
        :: else ->
          if                                            /* announced: S may be ours */
          :: starves -> starving = true; announced = true
          :: else -> skip
          fi;
          if                                            /* :639-654 park */
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
          if                                            /* :654 an abort at the yield: */
          :: timed && !expired -> expired = true; break /* `finally` runs, no look */
          :: true -> skip
          fi;
#ifndef NO_HANDOFF
          if                                            /* :612-619 time passes */
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
  :: waiting -> leave_waiting()                         /* :658 finally */
  :: else -> skip
  fi
}

#if defined(LOCAL) || defined(LOCAL_READ)
/* releasedHere (:320): T's local waits parked on STATE get their retries queued. */
inline released_here() {
  if
  :: lstate == 1 -> lstate = 2
  :: else -> skip
  fi;
  if
  :: rstate == 1 -> rstate = 2
  :: else -> skip
  fi
}
#endif

/* A writer: `iters` write locks (fast CAS, then the slow path), each released. */
proctype Writer(byte me; byte iters; bool timed; bool asyncWait) {
  byte st, nx, seq, res, wk, n;
  bool took, expired, waiting, starves, starving, due, ok, cont, clears;
  /* Ghost: this writer parked as a starving writer since it last took the lock. */
  bool announced;
  for (n : 1 .. iters) {
    atomic {                                            /* :871 / :914 fast CAS 0 -> W */
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
#if defined(LOCAL) || defined(LOCAL_READ)
      if
      :: me == 1 ->
        ownerT = true;                                  /* OWNER = T (:421, :598) */
#ifdef LOCAL_READ
        if
        :: rstate == 0 ->                               /* T calls a read() (readHere) */
          if
          :: (mem[STATE] & (W | S)) == W && ownerT -> rstate = 1 /* parked locally, uncounted */
          :: else -> rstate = 3                         /* the slow path */
          fi
        :: else -> skip
        fi;
#endif
#ifdef LOCAL
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
        fi;
#endif
        skip
      :: else -> skip
      fi;
#endif
      enter(starves);
      took = false; starves = false; due = false;
#if defined(LOCAL) || defined(LOCAL_READ)
      if
      :: me == 1 ->
        tbusy = true;
        ownerT = false;                                 /* OWNER = 0 before W goes */
        unlock_write(LOCALS);
        released_here();
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
    atomic { !tbusy -> tbusy = true }                   /* T's release: not inside A's */
    ownerT = false;
    unlock_write(LOCALS);                               /* L is not parked now */
    released_here();
    tbusy = false
  :: else -> skip
  fi
}
#endif

/* tryEnterRead (:228) with BLOCKS_READER (no barging reader here): sets `took`. */
inline try_read() {
  st = mem[STATE];
  atomic {
    if
    :: (st & (W | WAITING)) == 0 && mem[STATE] == st ->
      assert((mem[STATE] & (W | WAITING)) == 0);        /* the invariant: W = 0 and w = 0 */
      mem[STATE] = st + R; took = true
    :: else -> skip
    fi
  }
}

/*
 * A reader (-DREADER, in place of writer B): one read lock without deadline, the fast path, then
 * readSlow (:373-416): count in RWAIT, read RSEQ before STATE, sleep on RSEQ. Its release is
 * unlockRead (:283-288): the last reader out wakes the writers, every one with S.
 */
proctype Reader(byte me) {
  byte st, seq, res, wk;
  bool took, expired;
#ifdef LOCAL_READ
  /*
   * T's local read (readHere, LocalWait): called while A holds the lock; parked locally, it
   * waits for T's release (its retry: tryEnterRead, else, write-held by T again, parked again,
   * else the slow path), the end of T's turn (the slow path) or an abort (nothing to undo).
   */
  bool aborted;
  (rstate != 0);
  do
  :: rstate == 3 -> break                               /* not (or no longer) local */
  :: atomic { !tbusy && rstate == 1 -> rstate = 3 }     /* the turn ends: hand over */
  :: atomic { !tbusy && rstate == 1 -> rstate = 3; aborted = true } /* an abort */
  :: atomic {
       !tbusy && rstate == 2 ->                         /* the retry, in a microtask */
       st = mem[STATE];
       if
#ifdef MUTANT_READ_BARGES
       :: (st & W) == 0 ->                              /* past waiting writers */
#else
       :: (st & (W | WAITING)) == 0 ->                  /* tryEnterRead */
#endif
         assert((st & (W | WAITING)) == 0);             /* the invariant: W = 0 and w = 0 */
         mem[STATE] = st + R; took = true; rstate = 3
       :: else ->
         if
         :: (st & (W | S)) == W && ownerT -> rstate = 1 /* write-held by T again: again */
         :: else -> rstate = 3                          /* the slow path */
         fi
       fi;
       st = 0
     }
  od;
  if
  :: aborted -> goto readDone
  :: took -> goto readIn
  :: else -> skip
  fi;
#endif
  do
  :: true ->
    try_read();
    if
    :: took -> break
    :: else -> skip
    fi;
    st = 0;
    mem[RWAIT]++;                                       /* :384 */
    do
    :: true ->
      seq = mem[RSEQ];                                  /* :401 */
      try_read();                                       /* :402 */
      if
      :: took -> break
      :: else -> st = 0
      fi;
      futex_wait(me - 1, RSEQ, seq, false, expired, false, res); /* :409 */
      res = OK
    od;
    mem[RWAIT]--;                                       /* :414 */
    break
  od;
readIn:
  readersIn++;
  assert(inside == 0);
#ifdef LOCAL
  /* Writer preference: no reader enters while T's local write waits (counted in w). */
  assert(lstate != 1 && lstate != 2);
#endif
  readersIn--;
  atomic { mem[STATE] = mem[STATE] - R; st = mem[STATE]; CHECK_S }  /* :284 */
  if
  :: (st & R) == 0 && (st & WAITING) != 0 -> wake_writer((st & S) != 0) /* :287 */
  :: else -> skip
  fi;
readDone:
  skip
}

init {
  atomic {
    byte k;
    for (k : 0 .. NPROC - 1) {
      waitOn[k] = NONE
    }
    run Writer(1, A_WRITES, false, false);
#if defined(READER) || defined(LOCAL_READ)
    run Reader(2);
#else
    run Writer(2, 1, false, false);
#endif
#if defined(LOCAL)
    run Local(3)                                        /* in C's place */
#elif defined(C_UNTIMED)
    run Writer(3, 1, false, true)                       /* C with no deadline */
#else
    run Writer(3, 1, true, true)
#endif
  }
  /* Every process has ended: the lock is free, nobody counted, no S, nobody registered. */
  (_nr_pr == 1) ->
  assert(mem[STATE] == 0 && mem[WASYNC] == 0 && mem[RWAIT] == 0)
}
