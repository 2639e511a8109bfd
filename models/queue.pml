/*
 * queue.pml: put/get of src/queue.ts under its internal lock word, with the "not empty" and "not
 * full" sequence slots and the waiter counts.
 *
 * Mirrors (see models/README.md for the line table):
 *   signal          #signal (queue.ts:528-532)
 *   unlock_and_wake #unlockAndWake (queue.ts:534-545)
 *   try_put         #tryPut (queue.ts:569-580), an open queue, room = COUNT < MAXSIZE
 *   put             #putFast (queue.ts:620-635) then #putSlow (queue.ts:583-617)
 *   try_get         #tryGet (queue.ts:684-695)
 *   get             #getFast (queue.ts:742-751) then #getSlow (queue.ts:698-739)
 *   lock_uninterruptible  lockUninterruptible (lock_word.ts:176-192), no aborts
 * LOCK is an atomic test-and-set by default (the queue protocol on top of a verified lock, a few
 * seconds); with -DREAL_LOCK_WORD it is the real lock word, lock_word.pml's inlines included
 * (about 17 million states, ~40 s here: run by hand, see models/README.md).
 *
 * Slots as in the header of queue.ts (renumbered): LOCK, LOCK_ASYNC, NOT_EMPTY, NOT_EMPTY_ASYNC,
 * GETTERS, NOT_FULL, NOT_FULL_ASYNC, PUTTERS; COUNT is a plain variable (changed with LOCK held).
 * MAXSIZE = 1. Shutdown, join/taskDone and aborts are not modelled.
 *
 * Workload: producer P puts 2 items (no timeout); getter G1 gets one (no timeout); getter G2 gets
 * one with a deadline, each park sync or async. Every run can end (G1 is owed an item, P is owed
 * room by G1's get), so a thread asleep at the end is a lost wake-up (invalid end state).
 *
 * Properties: the lock word's mutual exclusion (the critical sections assert it), 0 <= COUNT <=
 * MAXSIZE, no invalid end state. Also asserted: when a timed-out waiter leaves, what it waited for
 * is not there (COUNT == 0 for a getter, the queue full for a putter), so the "pass the wake-up
 * on" of queue.ts:613 and :735 never signals in these paths; spin verifies it.
 *
 * Mutants (spin -DMUTANT_...):
 *   MUTANT_NO_GETTERS_COUNT  getSlow does not count itself in GETTERS (:715)
 *   MUTANT_SEQ_AFTER_UNLOCK  the getter reads NOT_EMPTY after releasing LOCK (:719-720)
 *   MUTANT_WAKE_NO_BUMP      #signal reports "wake" without bumping the seq (:530)
 */

#define LOCK_WORD_LIB
#define NPROC 3
#define NSLOTS 8
#define SPURIOUS 1

#define NOT_EMPTY 2
#define NOT_EMPTY_ASYNC 3
#define GETTERS 4
#define NOT_FULL 5
#define NOT_FULL_ASYNC 6
#define PUTTERS 7
#define MAXSIZE 1

#include "futex.pml"
#ifdef REAL_LOCK_WORD
#include "lock_word.pml"
#else
/* LOCK as an atomic test-and-set (lock_word.pml verifies the word itself). */
#define STATE 0
inline lock_fast() {
  atomic {
    if
    :: mem[STATE] == 0 -> mem[STATE] = me2; ok = true
    :: else -> ok = false
    fi
  }
}
inline lock_slow(lkTimed, lkExpired) { atomic { mem[STATE] == 0 -> mem[STATE] = me2 } }
inline lock_unlock() { mem[STATE] = 0 }
#endif

byte COUNT;
/* Holders of LOCK (mutual exclusion of the critical sections). */
byte inCS;

inline enter() { atomic { inCS++; assert(inCS == 1 && mem[STATE] >> 1 == me) } }
inline leave() { inCS-- }

/* lockUninterruptible (lock_word.ts:176): fast CAS, else lockSlow with no deadline. */
inline lock_uninterruptible() {
  lock_fast();                                          /* :182 */
  if
  :: ok -> ok = false
  :: else -> lock_slow(false, lkExpired)                /* :185 */
  fi;
  enter()
}

inline unlock_word() {
  leave();
  lock_unlock()
}

/* #signal(seq, waiters) (queue.ts:528), LOCK held: sets `sig`. */
inline signal(seq, waiters) {
  if
  :: mem[waiters] == 0 -> sig = false                   /* :529 */
  :: else ->
#ifndef MUTANT_WAKE_NO_BUMP
    mem[seq]++;                                         /* :530 */
#endif
    sig = true                                          /* :531 */
  fi
}

/* #unlockAndWake (queue.ts:534): release LOCK, then wake one of the side signalled. */
inline unlock_and_wake(wakeGetter, wakePutter) {
  unlock_word();                                        /* :541 */
  if
  :: wakeGetter -> futex_wake(NOT_EMPTY, 1, NOT_EMPTY_ASYNC, wk)   /* :542 */
  :: else -> skip
  fi;
  if
  :: wakePutter -> futex_wake(NOT_FULL, 1, NOT_FULL_ASYNC, wk)     /* :543 */
  :: else -> skip
  fi;
  sig = false
}

/* #tryPut (queue.ts:569), LOCK held: stores and releases LOCK (done), or keeps LOCK. */
inline try_put() {
  if
  :: COUNT >= MAXSIZE -> done = false                   /* :575-576 no room */
  :: else ->
    COUNT++;                                            /* :577 #store */
    signal(NOT_EMPTY, GETTERS);                         /* :578 */
    unlock_and_wake(sig, false);
    done = true
  fi
}

/* #tryGet (queue.ts:684), LOCK held: takes and releases LOCK (done), or keeps LOCK. */
inline try_get() {
  if
  :: COUNT == 0 -> done = false                         /* :687-688 */
  :: else ->
    COUNT--;                                            /* :692 #take */
    signal(NOT_FULL, PUTTERS);                          /* :693 */
    unlock_and_wake(false, sig);
    done = true
  fi
}

/* The deadline may pass at any check (queue.ts:596, :718). */
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

/* put (sync or async): #putFast, then #putSlow. Sets `done` (false: timed out). */
inline put() {
  lock_fast();                                          /* :629 */
  if
  :: ok ->
    ok = false;
    enter();
    try_put();                                          /* :630 */
    if
    :: !done -> unlock_word()                           /* :631 */
    :: else -> skip
    fi
  :: else -> done = false
  fi;
  if
  :: !done ->                                           /* #putSlow */
    lock_uninterruptible();                             /* :590 */
    try_put();                                          /* :591 */
    if
    :: !done ->
      mem[PUTTERS]++;                                   /* :593 */
      do
      :: true ->
        maybe_expire();
        if
        :: expired -> break                             /* :596 */
        :: else -> skip
        fi;
        expected = mem[NOT_FULL];                       /* :598 */
        unlock_word();                                  /* :599 */
        park(NOT_FULL, NOT_FULL_ASYNC);                 /* :601 */
        lock_uninterruptible();                         /* :606 */
        try_put();                                      /* :607 */
        if
        :: done -> break
        :: else -> skip
        fi
      od;
      mem[PUTTERS]--;                                   /* :610 finally (LOCK held unless done) */
      if
      :: !done ->
        /* :613 pass a wake for room on: never room here (see the header) */
        assert(COUNT >= MAXSIZE);
        sig = false;
        if
        :: COUNT < MAXSIZE -> signal(NOT_FULL, PUTTERS)
        :: else -> skip
        fi;
        unlock_and_wake(false, sig)                     /* :614 */
      :: else -> skip
      fi
    :: else -> skip
    fi
  :: else -> skip
  fi;
  expected = 0
}

/* get (sync or async): #getFast, then #getSlow. Sets `done` (false: timed out). */
inline get() {
  lock_fast();                                          /* :744 */
  if
  :: ok ->
    ok = false;
    enter();
    try_get();                                          /* :745 */
    if
    :: !done -> unlock_word()                           /* :747 */
    :: else -> skip
    fi
  :: else -> done = false
  fi;
  if
  :: !done ->                                           /* #getSlow */
    lock_uninterruptible();                             /* :705 */
    try_get();                                          /* :706 */
    if
    :: !done ->
#ifndef MUTANT_NO_GETTERS_COUNT
      mem[GETTERS]++;                                   /* :715 */
#endif
      do
      :: true ->
        maybe_expire();
        if
        :: expired -> break                             /* :718 */
        :: else -> skip
        fi;
#ifndef MUTANT_SEQ_AFTER_UNLOCK
        expected = mem[NOT_EMPTY];                      /* :719 */
        unlock_word();                                  /* :720 */
#else
        unlock_word();
        expected = mem[NOT_EMPTY];
#endif
        park(NOT_EMPTY, NOT_EMPTY_ASYNC);               /* :722 */
        lock_uninterruptible();                         /* :727 */
        try_get();                                      /* :728 */
        if
        :: done -> break
        :: else -> skip
        fi
      od;
#ifndef MUTANT_NO_GETTERS_COUNT
      mem[GETTERS]--;                                   /* :732 finally */
#endif
      if
      :: !done ->
        /* :735 pass a wake for items on: never items here (see the header) */
        assert(COUNT == 0);
        sig = false;
        if
        :: COUNT > 0 -> signal(NOT_EMPTY, GETTERS)
        :: else -> skip
        fi;
        unlock_and_wake(sig, false)                     /* :736 */
      :: else -> skip
      fi
    :: else -> skip
    fi
  :: else -> skip
  fi;
  expected = 0
}

/* `puts` puts then `gets` gets; `timed`: each has a deadline; `asyncWait`: parks may be async. */
proctype Worker(byte me; byte puts; byte gets; bool timed; bool asyncWait) {
  byte me2, state, take, life, res, wk, r, expected, i;
  bool ok, lkExpired, expired, done, sig, starving;
  me2 = me << 1;
  do
  :: i < puts -> i++; expired = false; put(); assert(COUNT <= MAXSIZE)
  :: else -> break
  od;
  i = 0;
  do
  :: i < gets -> i++; expired = false; get()
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
    run Worker(1, 2, 0, false, false);
    run Worker(2, 0, 1, false, false);
    run Worker(3, 0, 1, true, true)
  }
}
