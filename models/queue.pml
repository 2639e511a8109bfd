/*
 * queue.pml: put/get of src/queue/base.ts under its internal lock word, with the "not empty" and
 * "not full" sequence slots, the waiter counts, and the room gets hold while they decode outside
 * the lock (HELD, given up without the lock through RELEASED, folded back by a put that runs
 * short, or put back in front under the lock when decode throws).
 *
 * Mirrors (base.ts unless named; see models/README.md for the line table):
 *   signal          #signal (:567-571)
 *   signal_getters  #signalGetters (:577-583): one getter wake in flight (WOKEN)
 *   signal_putters  #signalPutters (:590-598): one putter wake in flight (PUT_WOKEN)
 *   take_putter_wake #takePutterWake (:605-611): a counted putter clears PUT_WOKEN
 *   unlock_and_wake #unlockAndWake (:613-624)
 *   room            #room (:393-400) and #findRoom (:402-425), #fold (:436-452), maxsize 1, an open queue, the bytes never the bound
 *   try_put         #tryPut (:649-667) and #roomToPut (:685-692), with #store (:536-539) and #count (:557-561)
 *   put             #putFast (:768-796), then #putSlow (:720-765)
 *   try_get         #tryGet (:873-977): take and hold (:918-935), decode (:939), then #release
 *                   or #putBack; the float64Codec in-place read (:901-917) with -DF64_GETTER
 *   release         #release (:986-995)
 *   put_back        #putBack (:1007-1047), open queue
 *   get             #getFast (:1083-1089), then #getSlow (:1050-1080)
 *   sleep           SeqWait.sleep (seq_wait.ts:109-124)
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
 * putter's pass-on at :761-762; about 6 million states, run by hand). -DTHREE_PUTS (MAXSIZE 3):
 * P puts 3, G1 gets 2, G2 gets 1, none with a deadline: two getters asleep while puts skip the
 * wake in flight (WOKEN = 1), so the woken getter must pass the wake on (:1065-1069).
 * -DPUTBACK_WAKE: P puts 2, F gets 1 and gives up when its decode throws, X gets 1 (no deadline):
 * the put-back must wake X when X counted itself while F held the item.
 * -DPUT_BURST (MAXSIZE 2): P puts 3, P2 puts 1 (async parks), G gets 2, none with a deadline:
 * two putters asleep at the bound while a get skips the putter wake in flight (PUT_WOKEN = 1),
 * so the woken putter must pass the wake on (:662-664); a release reads PUT_WOKEN without LOCK
 * (:992).
 *
 * Properties: mutual exclusion of LOCK (the critical sections assert it); COUNT <= MAXSIZE after
 * a put; HELD >= heldNow (HELD is a bound on what gets hold) at every fold and put-back; a
 * put-back finds a free place (COUNT < MAXSIZE); when a timed-out getter leaves, COUNT == 0 (so
 * the "pass the wake-up on" of :1076 never signals); no invalid end state; and at the end, once
 * every worker has ended: putsDone == gotten + COUNT (no item lost or duplicated) and nothing
 * held (heldNow == 0, HELD == RELEASED - FOLDED).
 *
 * Mutants (spin -DMUTANT_...):
 *   MUTANT_NO_GETTERS_COUNT        getSlow does not count itself in GETTERS (:1057)
 *   MUTANT_SEQ_AFTER_UNLOCK        the getter reads NOT_EMPTY after releasing LOCK
 *                                  (seq_wait.ts:113-115)
 *   MUTANT_WAKE_NO_BUMP            #signal reports "wake" without bumping the seq (:569)
 *   MUTANT_PUTTERS_BEFORE_RELEASED #release reads PUTTERS before it adds to RELEASED (:988-992)
 *   MUTANT_COUNT_NO_RECHECK        putSlow counts itself in PUTTERS and sleeps without looking
 *                                  for room again (:730-738)
 *   MUTANT_PUT_IGNORES_HELD        #room does not count HELD as used room (:410-420)
 *   MUTANT_PUTBACK_NO_COUNT        #putBack stores the record back without COUNT++ (:1044)
 *   MUTANT_NO_FOLD                 #room never folds RELEASED into HELD (:416, #fold :436-452)
 *   MUTANT_NO_PASS_ON              (THREE_PUTS) a woken getter does not wake the next (:1068)
 *   MUTANT_CLEAR_ONLY_AT_COUNT     (THREE_PUTS) a getter clears WOKEN when it counts itself only,
 *                                  not after its sleeps (:1067)
 *   MUTANT_PASS_BEFORE_CLEAR       (THREE_PUTS) the pass-on decided before WOKEN is cleared
 *   MUTANT_PUTBACK_NO_SIGNAL       (PUTBACK_WAKE) #putBack stores the item back without a wake
 *                                  (:1046)
 *   MUTANT_NO_CLEAR_ON_COUNT       (THREE_PUTS) getSlow counts itself without clearing WOKEN
 *                                  (:1060)
 *   MUTANT_NO_PUT_PASS_ON          (PUT_BURST) a woken putter does not wake the next (:662-663)
 *   MUTANT_NO_PUT_CLEAR_ON_COUNT   (PUT_BURST) putSlow counts itself without clearing PUT_WOKEN
 *                                  (only after its sleeps; :737)
 *   MUTANT_PUT_CLEAR_AFTER_TRY     (PUT_BURST) PUT_WOKEN cleared after the look for room, not
 *                                  before it (:737-738)
 *   MUTANT_PUT_WOKEN_BEFORE_RELEASED (PUT_BURST) #release reads PUT_WOKEN before it adds to
 *                                  RELEASED (:989-992)
 *   MUTANT_ROOMLEFT_NO_FOLD        (PUT_BURST, F64_GETTER) the pass-on's look for room left does
 *                                  not fold RELEASED in (#roomLeft, :460-464): a release that
 *                                  skipped its wake while the taker put without folding is lost
 *   MUTANT_MISS_PASS_SETS_FLAG     (PUT_BURST) a putter whose record missed sets PUT_WOKEN for
 *                                  the wake it passes on (:748-753), then sleeps: the first
 *                                  version, which the model caught (the flag had no taker)
 * Not caught by the model, which sees lost wakes only (tests/queue_getter_wakes_test.ts and
 * tests/queue_putter_wakes_test.ts count wakes): a pass-on on COUNT > 0 (a spare wake), a
 * pass-on wake sent before LOCK is released.
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
#ifndef MAXSIZE
#ifdef THREE_PUTS
#define MAXSIZE 3
#elif defined(PUT_BURST)
#define MAXSIZE 2
#else
#define MAXSIZE 1
#endif
#endif
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
/* Slot WOKEN (a getter wake in flight): LOCK held. */
byte WOKEN;
/* Slot PUT_WOKEN (a putter wake in flight): written with LOCK held, read by a release without
   it. */
byte PWOKEN;
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

/* The fast CAS (:778, :786, :1085), then the holder counts itself (enter_fast) if it took the word. */
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
 * nothing, so lockUninterruptible (lock_word.ts:543: fast CAS :645, else lockSlow :648) is one
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

/* #signal(seq, waiters) (:567), LOCK held: sets `sig`. */
inline signal(seq, waiters) {
  if
  :: mem[waiters] == 0 -> sig = false                   /* :568 */
  :: else ->
#ifndef MUTANT_WAKE_NO_BUMP
    mem[seq]++;                                         /* :569 */
#endif
    sig = true                                          /* :570 */
  fi
}

/* #signalGetters (:577-583), LOCK held: a getter wake, one in flight at a time. Sets `sig`. */
inline signal_getters() {
  if
  :: mem[GETTERS] == 0 || WOKEN != 0 -> sig = false     /* :579 */
  :: else ->
    WOKEN = 1;                                          /* :580 */
#ifndef MUTANT_WAKE_NO_BUMP
    mem[NOT_EMPTY]++;                                   /* :581 */
#endif
    sig = true
  fi
}

/* #signalPutters (:590-598), LOCK held: a putter wake, one in flight at a time. Sets `psig`. */
inline signal_putters() {
  if
  :: mem[PUTTERS] == 0 || PWOKEN != 0 -> psig = false   /* :592 */
  :: else ->
    PWOKEN = 1;                                         /* :595 */
#ifndef MUTANT_WAKE_NO_BUMP
    mem[NOT_FULL]++;                                    /* :596 */
#endif
    psig = true
  fi
}

/* #takePutterWake (:605-611), LOCK held: a counted putter takes the wake in flight. */
inline take_putter_wake() {
  atomic {
    pwk = PWOKEN;
    if
    :: PWOKEN != 0 -> PWOKEN = 0                        /* :609 */
    :: else -> skip
    fi
  }
}

/* #unlockAndWake (:613): release LOCK, then wake one of the side signalled. */
inline unlock_and_wake(wakeGetter, wakePutter) {
  unlock_word();                                        /* :620 */
  if
  :: wakeGetter -> futex_wake(NOT_EMPTY, 1, NOT_EMPTY_ASYNC, wk)   /* :621 */
  :: else -> skip
  fi;
  if
  :: wakePutter -> futex_wake(NOT_FULL, 1, NOT_FULL_ASYNC, wk)     /* :622 */
  :: else -> skip
  fi;
  sig = false
}

/*
 * #room / #findRoom (:402), LOCK held, maxsize 1: sets `roomy`. HELD counts as used room (:410); when that
 * leaves none, the releases are folded in (:416, #fold :436-452) and it looks again (:420).
 */
inline room() {
  atomic {
#ifndef MUTANT_PUT_IGNORES_HELD
    held = HELD;                                        /* :410 */
#else
    held = 0;
#endif
    if
    :: COUNT + held >= MAXSIZE ->                       /* :412-415 */
#ifndef MUTANT_NO_FOLD
      rel = RELEASED - FOLDED;                          /* :440-441 Atomics.load, FOLDED */
      assert(HELD >= rel && HELD - rel >= heldNow);     /* HELD stays a bound */
      HELD = HELD - rel;                                /* :441 */
      FOLDED = RELEASED;                                /* :443 */
#ifndef MUTANT_PUT_IGNORES_HELD
      held = HELD;
#endif
      rel = 0
#else
      skip
#endif
    :: else -> skip
    fi;
    roomy = (COUNT + held < MAXSIZE);                   /* :420 */
    held = 0
  }
}

/*
 * #tryPut (:649), LOCK held: stores and releases LOCK (done), or keeps LOCK. `counted`: a
 * putter of #putSlow counted in PUTTERS, which passes room it leaves on (:662-663).
 */
inline try_put(counted) {
  room();                                               /* :650, :691 */
  if
  :: !roomy -> done = false                             /* :651 */
  :: else ->
    atomic { COUNT++; putsDone++; assert(COUNT <= MAXSIZE) };   /* :654 #store, :538 */
    psig = false;
#ifndef MUTANT_NO_PUT_PASS_ON
    if
    :: counted && mem[PUTTERS] > 1 ->                   /* :662 */
#ifndef MUTANT_ROOMLEFT_NO_FOLD
      room();                                           /* #roomLeft: fold, look */
#else
      roomy = (COUNT + HELD < MAXSIZE);                 /* the bounds as they are, no fold */
#endif
      if
      :: roomy -> signal_putters()
      :: else -> skip
      fi
    :: else -> skip
    fi;
#endif
    signal_getters();                                   /* :664 */
    unlock_and_wake(sig, psig);
    psig = false;
    done = true
  fi;
  roomy = false
}

/*
 * #release (:986), no LOCK: give the held room up, then, if a putter waits and no putter wake
 * is in flight, take LOCK to bump NOT_FULL for it.
 */
inline release() {
#ifdef MUTANT_PUT_WOKEN_BEFORE_RELEASED
  pwk = PWOKEN;                                        /* read before the add */
#endif
#ifndef MUTANT_PUTTERS_BEFORE_RELEASED
  atomic { RELEASED++; heldNow--; gotten++ };         /* :989 (RELEASED_BYTES :988) */
  if
  :: mem[PUTTERS] == 0 -> skip                          /* :992 */
#else
  if
  :: mem[PUTTERS] == 0 -> atomic { RELEASED++; heldNow--; gotten++ }
#endif
  :: else ->
#ifdef MUTANT_PUTTERS_BEFORE_RELEASED
    atomic { RELEASED++; heldNow--; gotten++ };
#endif
#ifndef MUTANT_PUT_WOKEN_BEFORE_RELEASED
    pwk = PWOKEN;                                      /* :992 */
#endif
    if
    :: pwk != 0 -> skip
    :: else ->
      lock_uninterruptible();                           /* :993 lockBriefly */
      signal_putters();                                /* :994 */
      unlock_and_wake(false, psig);
      psig = false
    fi
  fi;
  pwk = 0
}

/* #putBack (:1007), open queue: the held record back in front, in one LOCK hold. */
inline put_back() {
  lock_uninterruptible();                               /* :1009 lockBriefly */
  atomic {
    assert(HELD >= heldNow && heldNow >= 1);
    HELD--; heldNow--;                                  /* :1029 (HELD_BYTES :1028) */
    assert(COUNT < MAXSIZE);                            /* :1039 the put-back fits */
#ifndef MUTANT_PUTBACK_NO_COUNT
    COUNT++                                             /* :1044 */
#else
    skip
#endif
  };
#ifndef MUTANT_PUTBACK_NO_SIGNAL
  signal_getters();                                     /* :1046 */
#else
  sig = false;
#endif
  unlock_and_wake(sig, false)
}

/*
 * #tryGet (:873), LOCK held: takes an item, releases LOCK, decodes it, and gives its room up
 * (done) or puts it back (done, threw); or finds none and keeps LOCK.
 */
inline try_get(passOn) {
  if
  :: COUNT == 0 -> done = false                         /* :876-887 */
  :: else ->
    if
#ifdef F64_GETTER
    :: f64 ->                                           /* :901-917 float64Codec, 8 bytes */
      atomic { COUNT--; gotten++ };                     /* :907, :909 read in place */
      signal_putters();                                 /* :914 */
      unlock_and_wake(passOn, psig);                    /* :914 */
      psig = false
#endif
    :: true ->                                          /* :920 (f64: a record of another size) */
      atomic {
        HELD++; heldNow++;                              /* :929 (HELD_BYTES :928) */
        COUNT--                                         /* :930 */
      };
      unlock_word();                                    /* :935 */
      if
      :: passOn -> futex_wake(NOT_EMPTY, 1, NOT_EMPTY_ASYNC, wk)   /* :936 the pass-on */
      :: else -> skip
      fi;
      if
      :: atomic { throws > 0 -> throws--; threw = true };   /* :939 decode throws */
        put_back()                                      /* :943 */
      :: true -> release()                              /* :939 decoded, :950 */
      fi
    fi;
    done = true
  fi
}

/* The deadline may pass at any check (SeqWait.expired, seq_wait.ts:100). */
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

/* SeqWait.sleep (seq_wait.ts:109), LOCK held: read the seq, release LOCK, park, re-take LOCK. */
inline sleep(seq, asl) {
#ifndef MUTANT_SEQ_AFTER_UNLOCK
  expected = mem[seq];                                  /* seq_wait.ts:113 */
  unlock_word();                                        /* seq_wait.ts:115 */
#else
  unlock_word();
  expected = mem[seq];
#endif
  park(seq, asl);                                       /* seq_wait.ts:118 */
  lock_uninterruptible()                                /* seq_wait.ts:123 */
}

/* put (sync or async): #putFast, then #putSlow. Sets `done` (false: timed out). */
inline put() {
  lock_fast();                                          /* :786 */
  if
  :: ok ->
    ok = false;
    enter_fast();
    try_put(false);                                     /* :787 */
    if
    :: !done -> unlock_word()                           /* :788 */
    :: else -> skip
    fi
  :: else -> done = false
  fi;
  if
  :: !done ->                                           /* #putSlow */
    lock_uninterruptible();                             /* :724 */
    try_put(false);                                     /* :727 uncounted */
    if
    :: !done ->
      mem[PUTTERS]++;                                   /* :730 */
      first = true;
      do
      :: true ->
        /* :737: counted, LOCK held (first, or after a sleep): the wake in flight has
           arrived; the try sees its room and passes what it leaves on */
#ifdef MUTANT_NO_PUT_CLEAR_ON_COUNT
        if
        :: !first -> take_putter_wake()
        :: else -> skip
        fi;
#else
#ifndef MUTANT_PUT_CLEAR_AFTER_TRY
        take_putter_wake();
#endif
#endif
#ifdef MUTANT_COUNT_NO_RECHECK
        if
        :: !first -> try_put(true)
        :: else -> done = false
        fi;
#else
        try_put(true);                                  /* :738 */
#endif
#ifdef MUTANT_PUT_CLEAR_AFTER_TRY
        if
        :: !done -> take_putter_wake()
        :: else -> skip
        fi;
#endif
        first = false;
        if
        :: done -> break
        :: else -> skip
        fi;
        /* :748-753: a wake whose room this record missed, room for another left: one
           wake on, without PUT_WOKEN (here: room made by a release after the try) */
        if
        :: pwk != 0 && mem[PUTTERS] > 1 ->
          room();
          if
          :: roomy ->
#ifdef MUTANT_MISS_PASS_SETS_FLAG
            PWOKEN = 1;
#endif
            mem[NOT_FULL]++;                            /* :750 */
            futex_wake(NOT_FULL, 1, NOT_FULL_ASYNC, wk)
          :: else -> skip
          fi;
          roomy = false
        :: else -> skip
        fi;
        pwk = 0;
        maybe_expire();
        if
        :: expired -> break                             /* :754 */
        :: else -> skip
        fi;
        sleep(NOT_FULL, NOT_FULL_ASYNC)                 /* :755 */
      od;
      mem[PUTTERS]--;                                   /* :758 finally (LOCK held unless done) */
      if
      :: !done ->
        /* :761 pass a wake for room on (a release after the last look may have made room) */
        room();
        if
        :: roomy -> signal_putters()
        :: else -> psig = false
        fi;
        roomy = false;
        unlock_and_wake(false, psig);                   /* :762 */
        psig = false
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
  lock_fast();                                          /* :1085 */
  if
  :: ok ->
    ok = false;
    enter_fast();
    try_get(false);                                     /* :1086 */
    if
    :: !done -> unlock_word()                           /* :1087 */
    :: else -> skip
    fi
  :: else -> done = false
  fi;
  if
  :: !done ->                                           /* #getSlow */
    lock_uninterruptible();                             /* :1054 */
    try_get(false);                                     /* :1055 */
    if
    :: !done ->
#ifndef MUTANT_NO_GETTERS_COUNT
      mem[GETTERS]++;                                   /* :1057 */
#endif
#ifndef MUTANT_NO_CLEAR_ON_COUNT
      WOKEN = 0;                                        /* :1060 */
#endif
      do
      :: true ->
        maybe_expire();
        if
        :: expired -> break                             /* :1063 */
        :: else -> skip
        fi;
        sleep(NOT_EMPTY, NOT_EMPTY_ASYNC);              /* :1064 */
        /* :1065-1068 the wake in flight has arrived; more items than this get's, and other
           getters counted: pass the wake on (merged: LOCK held, and GETTERS, read twice, is
           at least 1 here, this getter) */
        atomic {
#ifdef MUTANT_PASS_BEFORE_CLEAR
          if
          :: COUNT > 1 && mem[GETTERS] > 1 -> signal_getters(); pass = sig; sig = false
          :: else -> pass = false
          fi;
#endif
#ifndef MUTANT_CLEAR_ONLY_AT_COUNT
          WOKEN = 0;                                    /* :1067 */
#endif
#if !defined(MUTANT_NO_PASS_ON) && !defined(MUTANT_PASS_BEFORE_CLEAR)
          if
          :: COUNT > 1 && mem[GETTERS] > 1 -> signal_getters(); pass = sig; sig = false
          :: else -> pass = false
          fi
#else
          skip
#endif
        };
        try_get(pass);                                  /* :1069 (decode, release: still counted) */
        pass = false;
        if
        :: done -> break
        :: else -> skip
        fi
      od;
#ifndef MUTANT_NO_GETTERS_COUNT
      mem[GETTERS]--;                                   /* :1073 finally */
#endif
      if
      :: !done ->
        /* :1076 pass a wake for items on: never items here (see the header) */
        assert(COUNT == 0);
        sig = false;
        if
        :: COUNT > 0 -> signal_getters()
        :: else -> skip
        fi;
        unlock_and_wake(sig, false)                     /* :1077 */
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
  byte pwk;  /* the putter wake flag a putter took, or a release read */
  bool ok, lkExpired, expired, done, sig, psig, starving, marked, roomy, threw, pass, first;
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
#ifdef PUTBACK_WAKE
    :: threw && me == 2 -> threw = false; i++           /* F gives up: the item put back is X's */
#endif
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
#ifdef PUT_BURST
    /* P puts 3, P2 puts 1 (async parks), G gets 2, none with a deadline (a putter asleep at the
       end is a lost wake-up: two items fit after G's gets): two putters asleep at the bound
       while a get skips the putter wake in flight (PUT_WOKEN), so the woken putter must pass
       the wake on. */
    run Worker(1, 3, 0, false, false, false, NEVER);
    run Worker(2, 1, 0, false, true, false, NEVER);
    run Worker(3, 0, 2, false, false, true, NEVER)
#else
#ifdef PUTBACK_WAKE
    /* P puts 2; F gets 1 and gives up when its decode throws (the item goes back in front); X
       gets 1, no deadline: a put-back that wakes nobody leaves X asleep beside it. */
    run Worker(1, 2, 0, false, false, false, NEVER);
    run Worker(2, 0, 1, false, false, false, NEVER);
    run Worker(3, 0, 1, false, G2ASYNC, true, NEVER)
#else
#ifdef THREE_PUTS
    /* P puts 3; G1 gets 2, G2 gets 1, none with a deadline (a getter asleep at the end with an
       item stored is a lost wake-up): two getters asleep while puts skip the wake in flight. */
    run Worker(1, 3, 0, false, false, false, NEVER);
    run Worker(2, 0, 2, false, false, false, NEVER);
    run Worker(3, 0, 1, false, G2ASYNC, true, NEVER)
#else
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
#endif
#endif
#endif
  }
  /* Every worker ended: no item lost or duplicated, nothing left held. */
  _nr_pr == 1;
  assert(putsDone == gotten + COUNT);
  assert(heldNow == 0 && HELD == RELEASED - FOLDED)
}
