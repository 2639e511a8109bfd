/*
 * queue.pml: put/get of src/queue/base.ts under its internal lock word, with the "not empty" and
 * "not full" sequence slots, the waiter counts, and the room gets hold while they decode outside
 * the lock (HELD, given up without the lock through RELEASED, folded back by a put that runs
 * short, or put back in front under the lock when decode throws).
 *
 * Mirrors (base.ts unless named; see models/README.md for the line table):
 *   signal          #signal (:462-466)
 *   unlock_and_wake #unlockAndWake (:468-479)
 *   room            #room (:319-326) and #findRoom (:328-370), maxsize 1, an open queue, the bytes never the bound
 *   try_put         #tryPut (:504-530) and #roomToPut (:536-543), with #store (:431-434) and #count (:452-456)
 *   put             #putFast (:601-629), then #putSlow (:571-598)
 *   try_get         #tryGet (:703-778): take and hold (:748-765), decode (:768), then #release
 *                   or #putBack; the float64Codec in-place read (:731-747) with -DF64_GETTER
 *   release         #release (:787-794)
 *   put_back        #putBack (:802-834), open queue
 *   get             #getFast (:863-869), then #getSlow (:837-860)
 *   sleep           SeqWait.sleep (seq_wait.ts:93-110)
 *   lock_uninterruptible  lockUninterruptible (lock_word.ts:543-559) as SeqWait.lock; also
 *                   lockBriefly (lock_word.ts:567) of #release and #putBack (both take the word
 *                   whatever happens, no deadline)
 * LOCK is an atomic test-and-set by default (the queue protocol on top of a verified lock); with
 * -DREAL_LOCK_WORD it is the real lock word, lock_word.pml's inlines included (run by hand; over
 * 34 million states now, more than fits in 1.5 GB: see models/README.md).
 *
 * Steps that touch only what LOCK guards (COUNT, HELD, the ghosts) or locals are merged into a
 * neighbouring step: no other thread can look between them (2.1 million states instead of 5 million).
 *
 * Slots as in header.ts (renumbered): LOCK, LOCK_ASYNC, NOT_EMPTY, NOT_EMPTY_ASYNC, GETTERS,
 * NOT_FULL, NOT_FULL_ASYNC, PUTTERS in mem[]; COUNT, HELD and FOLDED are plain variables (changed
 * with LOCK held), RELEASED a variable changed by atomic steps without LOCK (it only grows; FOLDED
 * is how much of it a fold took off HELD). MAXSIZE = 1.
 * HELD_BYTES/RELEASED_BYTES are not modelled apart: with maxsize 1 and room for every record the
 * item bound is the one that bites, and the byte counters follow the same protocol one step
 * earlier (a get adds RELEASED_BYTES, then RELEASED, then reads PUTTERS; a put's fold reads
 * RELEASED, then RELEASED_BYTES, after its PUTTERS++), so the Dekker pair below covers both.
 * Shutdown, join/taskDone, aborts, growth, full() and a death inside LOCK (the undo journal) are
 * not modelled.
 *
 * Ghosts: heldNow (items gets hold now: taken, neither given up nor put back), putsDone (items
 * stored by puts), gotten (items decoded). A decode throws nondeterministically, at most THROWS
 * times in a run (default 1); the get then throws and its worker calls get again.
 *
 * Workload: producer P puts 2 items (no timeout); getter G1 gets one (no timeout); getter G2
 * gets one with a deadline, each park sync or async (sync only with -DG2ASYNC=false). Every run
 * can end (G1 is owed an item, P is owed room by G1's get), so a thread asleep at the end is a
 * lost wake-up (invalid end state). -DTWO_PUTTERS: P puts 2; P2 puts 1 with a deadline, parking
 * sync or async; G gets 3, the third with a deadline (two putters counted at once, and the
 * putter's pass-on at :593-595; about 6 million states, run by hand).
 *
 * Properties: mutual exclusion of LOCK (the critical sections assert it); COUNT <= MAXSIZE after
 * a put; HELD >= heldNow (HELD is a bound on what gets hold) at every fold and put-back; a
 * put-back finds a free place (COUNT < MAXSIZE); when a timed-out getter leaves, COUNT == 0 (so
 * the "pass the wake-up on" of :856 never signals); no invalid end state; and at the end, once
 * every worker has ended: putsDone == gotten + COUNT (no item lost or duplicated) and nothing
 * held (heldNow == 0, HELD == RELEASED - FOLDED).
 *
 * Mutants (spin -DMUTANT_...):
 *   MUTANT_NO_GETTERS_COUNT        getSlow does not count itself in GETTERS (:844)
 *   MUTANT_SEQ_AFTER_UNLOCK        the getter reads NOT_EMPTY after releasing LOCK
 *                                  (seq_wait.ts:97-101)
 *   MUTANT_WAKE_NO_BUMP            #signal reports "wake" without bumping the seq (:464)
 *   MUTANT_PUTTERS_BEFORE_RELEASED #release reads PUTTERS before it adds to RELEASED (:789-791)
 *   MUTANT_COUNT_NO_RECHECK        putSlow counts itself in PUTTERS and sleeps without looking
 *                                  for room again (:581-583)
 *   MUTANT_PUT_IGNORES_HELD        #room does not count HELD as used room (:336-365)
 *   MUTANT_PUTBACK_NO_COUNT        #putBack stores the record back without COUNT++ (:831)
 *   MUTANT_NO_FOLD                 #room never folds RELEASED into HELD (:342-364)
 */

#define LOCK_WORD_LIB
#define NPROC 3
#define NSLOTS 8
#define SPURIOUS 1
#ifndef THROWS
#define THROWS 1
#endif

#define NOT_EMPTY 2
#define NOT_EMPTY_ASYNC 3
#define GETTERS 4
#define NOT_FULL 5
#define NOT_FULL_ASYNC 6
#define PUTTERS 7
#define MAXSIZE 1
#ifndef G2ASYNC
#define G2ASYNC true
#endif

#include "futex.pml"

/* Slot COUNT (items stored) and slot HELD (bound on items gets hold): LOCK held. */
byte COUNT;
byte HELD;
/* Slot RELEASED: items gets stopped holding, ever (atomics, no LOCK); FOLDED: how many of them
   a fold took off HELD (LOCK held). HELD - (RELEASED - FOLDED) bounds the items held. */
byte RELEASED;
byte FOLDED;
/* Ghosts: items held now, items stored by puts, items decoded; decode throws left. */
byte heldNow;
byte putsDone;
byte gotten;
byte throws = THROWS;
/* Holders of LOCK (mutual exclusion of the critical sections). */
byte inCS;

#ifdef REAL_LOCK_WORD
#include "lock_word.pml"

/* The owner bits only: a waiter may set PARKED and STARVING while the word is held. */
#define ENTER inCS++; assert(inCS == 1 && ownerOfWord(mem[STATE]) == me)

/* The fast CAS (:611, :619, :865), then the holder counts itself (enter_fast) if it took the word. */
inline enter_fast() { atomic { ENTER } }

/* lockUninterruptible (lock_word.ts:543): fast CAS, else lockSlow with no deadline. */
inline lock_uninterruptible() {
  lock_fast();                                          /* lock_word.ts:549 */
  if
  :: ok -> ok = false
  :: else -> lock_slow(false, lkExpired)                /* lock_word.ts:552 */
  fi;
  atomic { ENTER }
}

inline unlock_word() {
  inCS--;
  lock_unlock()
}
#else
/*
 * LOCK as an atomic test-and-set (lock_word.pml verifies the word itself). A failed CAS changes
 * nothing, so lockUninterruptible (lock_word.ts:543: fast CAS :540, else lockSlow :543) is one
 * blocking step; the holder's count (inCS) is a ghost taken in the same step.
 */
#define STATE 0
#define ENTER inCS++; assert(inCS == 1 && mem[STATE] >> 1 == me)
inline lock_fast() {
  atomic {
    if
    :: mem[STATE] == 0 -> mem[STATE] = me2; ok = true; ENTER
    :: else -> ok = false
    fi
  }
}
inline enter_fast() { skip }
inline lock_uninterruptible() { atomic { mem[STATE] == 0 -> mem[STATE] = me2; ENTER } }
inline lock_unlock() { mem[STATE] = 0 }
inline unlock_word() { atomic { inCS--; mem[STATE] = 0 } }
#endif

/* #signal(seq, waiters) (:462), LOCK held: sets `sig`. */
inline signal(seq, waiters) {
  if
  :: mem[waiters] == 0 -> sig = false                   /* :463 */
  :: else ->
#ifndef MUTANT_WAKE_NO_BUMP
    mem[seq]++;                                         /* :464 */
#endif
    sig = true                                          /* :465 */
  fi
}

/* #unlockAndWake (:468): release LOCK, then wake one of the side signalled. */
inline unlock_and_wake(wakeGetter, wakePutter) {
  unlock_word();                                        /* :475 */
  if
  :: wakeGetter -> futex_wake(NOT_EMPTY, 1, NOT_EMPTY_ASYNC, wk)   /* :476 */
  :: else -> skip
  fi;
  if
  :: wakePutter -> futex_wake(NOT_FULL, 1, NOT_FULL_ASYNC, wk)     /* :477 */
  :: else -> skip
  fi;
  sig = false
}

/*
 * #room / #findRoom (:328), LOCK held, maxsize 1: sets `roomy`. HELD counts as used room (:336); when that
 * leaves none, the releases are folded in (:342-364) and it looks again (:365).
 */
inline room() {
  atomic {
#ifndef MUTANT_PUT_IGNORES_HELD
    held = HELD;                                        /* :336 */
#else
    held = 0;
#endif
    if
    :: COUNT + held >= MAXSIZE ->                       /* :338-341 */
#ifndef MUTANT_NO_FOLD
      rel = RELEASED - FOLDED;                          /* :351-352 Atomics.load, FOLDED */
      assert(HELD >= rel && HELD - rel >= heldNow);     /* HELD stays a bound */
      HELD = HELD - rel;                                /* :353 */
      FOLDED = RELEASED;                                /* :355 */
#ifndef MUTANT_PUT_IGNORES_HELD
      held = HELD;
#endif
      rel = 0
#else
      skip
#endif
    :: else -> skip
    fi;
    roomy = (COUNT + held < MAXSIZE);                   /* :365 */
    held = 0
  }
}

/* #tryPut (:504), LOCK held: stores and releases LOCK (done), or keeps LOCK. */
inline try_put() {
  room();                                               /* :505, :542 */
  if
  :: !roomy -> done = false                             /* :506 */
  :: else ->
    atomic { COUNT++; putsDone++; assert(COUNT <= MAXSIZE) };   /* :509 #store, :433 */
    signal(NOT_EMPTY, GETTERS);                         /* :515 */
    unlock_and_wake(sig, false);
    done = true
  fi;
  roomy = false
}

/* #release (:787), no LOCK: give the held room up, then bump NOT_FULL if a putter waits. */
inline release() {
#ifndef MUTANT_PUTTERS_BEFORE_RELEASED
  atomic { RELEASED++; heldNow--; gotten++ };         /* :790 (RELEASED_BYTES :789) */
  if
  :: mem[PUTTERS] == 0 -> skip                          /* :791 */
#else
  if
  :: mem[PUTTERS] == 0 -> atomic { RELEASED++; heldNow--; gotten++ }
#endif
  :: else ->
#ifdef MUTANT_PUTTERS_BEFORE_RELEASED
    atomic { RELEASED++; heldNow--; gotten++ };
#endif
    lock_uninterruptible();                             /* :792 lockBriefly */
    signal(NOT_FULL, PUTTERS);                          /* :793 */
    unlock_and_wake(false, sig)
  fi
}

/* #putBack (:802), open queue: the held record back in front, in one LOCK hold. */
inline put_back() {
  lock_uninterruptible();                               /* :804 lockBriefly */
  atomic {
    assert(HELD >= heldNow && heldNow >= 1);
    HELD--; heldNow--;                                  /* :817 (HELD_BYTES :816) */
    assert(COUNT < MAXSIZE);                            /* :826 the put-back fits */
#ifndef MUTANT_PUTBACK_NO_COUNT
    COUNT++                                             /* :831 */
#else
    skip
#endif
  };
  signal(NOT_EMPTY, GETTERS);                           /* :833 */
  unlock_and_wake(sig, false)
}

/*
 * #tryGet (:703), LOCK held: takes an item, releases LOCK, decodes it, and gives its room up
 * (done) or puts it back (done, threw); or finds none and keeps LOCK.
 */
inline try_get() {
  if
  :: COUNT == 0 -> done = false                         /* :706-717 */
  :: else ->
    if
#ifdef F64_GETTER
    :: f64 ->                                           /* :731-747 float64Codec, 8 bytes */
      atomic { COUNT--; gotten++ };                     /* :737, :739 read in place */
      signal(NOT_FULL, PUTTERS);                        /* :744 */
      unlock_and_wake(false, sig)
#endif
    :: true ->                                          /* :750 (f64: a record of another size) */
      atomic {
        HELD++; heldNow++;                              /* :759 (HELD_BYTES :758) */
        COUNT--                                         /* :760 */
      };
      unlock_word();                                    /* :765 */
      if
      :: atomic { throws > 0 -> throws--; threw = true };   /* :768 decode throws */
        put_back()                                      /* :771 */
      :: true -> release()                              /* :768 decoded, :776 */
      fi
    fi;
    done = true
  fi
}

/* The deadline may pass at any check (SeqWait.expired, seq_wait.ts:84). */
inline maybe_expire() {
  if
  :: timed && !expired -> expired = true
  :: true -> skip
  fi
}

/* A wait on `seq` as parkSync / parkAsync. */
inline park(seq, asl) {
  if
  :: asyncWait -> futex_wait_async(me - 1, seq, expected, asl, timed, expired, false, res)
  :: true -> futex_wait(me - 1, seq, expected, timed, expired, false, res)
  fi;
  res = OK
}

/* SeqWait.sleep (seq_wait.ts:93), LOCK held: read the seq, release LOCK, park, re-take LOCK. */
inline sleep(seq, asl) {
#ifndef MUTANT_SEQ_AFTER_UNLOCK
  expected = mem[seq];                                  /* seq_wait.ts:97 */
  unlock_word();                                        /* seq_wait.ts:101 */
#else
  unlock_word();
  expected = mem[seq];
#endif
  park(seq, asl);                                       /* seq_wait.ts:104 */
  lock_uninterruptible()                                /* seq_wait.ts:109 */
}

/* put (sync or async): #putFast, then #putSlow. Sets `done` (false: timed out). */
inline put() {
  lock_fast();                                          /* :607 */
  if
  :: ok ->
    ok = false;
    enter_fast();
    try_put();                                          /* :618 */
    if
    :: !done -> unlock_word()                           /* :619 */
    :: else -> skip
    fi
  :: else -> done = false
  fi;
  if
  :: !done ->                                           /* #putSlow */
    lock_uninterruptible();                             /* :575 */
    try_put();                                          /* :578 uncounted */
    if
    :: !done ->
      mem[PUTTERS]++;                                   /* :581 */
#ifndef MUTANT_COUNT_NO_RECHECK
      try_put();                                        /* :583 look again, counted */
#endif
      if
      :: !done ->
        do
        :: true ->
          maybe_expire();
          if
          :: expired -> break                           /* :585 */
          :: else -> skip
          fi;
          sleep(NOT_FULL, NOT_FULL_ASYNC);              /* :586 */
          try_put();                                    /* :587 */
          if
          :: done -> break
          :: else -> skip
          fi
        od
      :: else -> skip
      fi;
      mem[PUTTERS]--;                                   /* :590 finally (LOCK held unless done) */
      if
      :: !done ->
        /* :592-594 pass a wake for room on (a release after the last look may have made room) */
        room();
        if
        :: roomy -> signal(NOT_FULL, PUTTERS)
        :: else -> sig = false
        fi;
        roomy = false;
        unlock_and_wake(false, sig)                     /* :595 */
      :: else -> skip
      fi
    :: else -> skip
    fi
  :: else -> skip
  fi;
  expected = 0
}

/* get (sync or async): #getFast, then #getSlow. Sets `done` (false: timed out), `threw`. */
inline get() {
  lock_fast();                                          /* :865 */
  if
  :: ok ->
    ok = false;
    enter_fast();
    try_get();                                          /* :866 */
    if
    :: !done -> unlock_word()                           /* :867 */
    :: else -> skip
    fi
  :: else -> done = false
  fi;
  if
  :: !done ->                                           /* #getSlow */
    lock_uninterruptible();                             /* :841 */
    try_get();                                          /* :842 */
    if
    :: !done ->
#ifndef MUTANT_NO_GETTERS_COUNT
      mem[GETTERS]++;                                   /* :844 */
#endif
      do
      :: true ->
        maybe_expire();
        if
        :: expired -> break                             /* :847 */
        :: else -> skip
        fi;
        sleep(NOT_EMPTY, NOT_EMPTY_ASYNC);              /* :848 */
        try_get();                                      /* :849 (decode, release: still counted) */
        if
        :: done -> break
        :: else -> skip
        fi
      od;
#ifndef MUTANT_NO_GETTERS_COUNT
      mem[GETTERS]--;                                   /* :853 finally */
#endif
      if
      :: !done ->
        /* :856 pass a wake for items on: never items here (see the header) */
        assert(COUNT == 0);
        sig = false;
        if
        :: COUNT > 0 -> signal(NOT_EMPTY, GETTERS)
        :: else -> skip
        fi;
        unlock_and_wake(sig, false)                     /* :857 */
      :: else -> skip
      fi
    :: else -> skip
    fi
  :: else -> skip
  fi;
  expected = 0
}

/*
 * `puts` puts then `gets` gets; `timed`: the puts have a deadline; gets from the `timedFrom`-th
 * on (0-based, NEVER: none) have one; `asyncWait`: parks may be async; `f64`: this getter's gets
 * may read float64 records in place (-DF64_GETTER). A get whose decode threw is called again.
 */
#define NEVER 255
proctype Worker(byte me; byte puts; byte gets; bool timed; bool asyncWait; bool f64;
                byte timedFrom) {
  byte me2, state, take, life, res, wk, r, expected, i, held, rel;
  bool ok, lkExpired, expired, done, sig, starving, marked, roomy, threw;
  me2 = me << 1;
  do
  :: i < puts -> i++; expired = false; put()
  :: else -> break
  od;
  i = 0;
  do
  :: i < gets ->
    timed = (i >= timedFrom);
    expired = false;
    get();
    if
    :: threw -> threw = false                           /* the codec's error: get again */
    :: else -> i++
    fi
  :: else -> break
  od
}

init {
  atomic {
    byte k;
    for (k : 0 .. NPROC - 1) {
      waitOn[k] = NONE
    }
#ifdef REAL_LOCK_WORD
    for (k : 1 .. NPROC) {
      watched[k] = true;
      alive[k] = true
    }
#endif
#ifndef TWO_PUTTERS
    run Worker(1, 2, 0, false, false, false, NEVER);
    run Worker(2, 0, 1, false, false, false, NEVER);
    run Worker(3, 0, 1, false, G2ASYNC, true, 0)
#else
    /* P puts 2, P2 puts 1 with a deadline (sync or async), G gets 3, the third with one. */
    run Worker(1, 2, 0, false, false, false, NEVER);
    run Worker(2, 1, 0, true, true, false, NEVER);
    run Worker(3, 0, 3, false, false, true, 2)
#endif
  }
  /* Every worker ended: no item lost or duplicated, nothing left held. */
  _nr_pr == 1;
  assert(putsDone == gotten + COUNT);
  assert(heldNow == 0 && HELD == RELEASED - FOLDED)
}
