/*
 * condition.pml: the ticket protocol of src/condition.ts.
 *
 * Mirrors (see models/README.md for the line table):
 *   cond_ticket  Condition#ticket (condition.ts:277-285)
 *   cond_wait    Condition#waitSlow (condition.ts:288-335), as waitSync drives it
 *   cond_cancel  cancel (condition.ts:103-112)
 *   cond_notify  Condition.notify (condition.ts:421-449)
 *   consumer     waitForSync (condition.ts:380-391) around a shared item count
 *
 * The condition's lock is modelled as an atomic test-and-set (`lk`): lock_word.pml verifies the
 * lock word on its own, and the ticket protocol only needs "one holder at a time, a blocked
 * acquire proceeds once it is free". NEXT, ADMIT and the CANCELLED bits are plain variables
 * (changed only with the lock held; ADMIT is also read without it). WAKES = 2 wake slots (the
 * futex slots mem[0..1]) and WINDOW = 4, so tickets share wake slots and CANCELLED bits wrap, as
 * with 32 and 1024 in the code. Tickets do not wrap mod 2^32 in these bounded runs.
 *
 * Workload: a producer adds PRODUCE items, notify(1) after each; consumer A (no timeout) takes
 * WANT_A items; consumer B (with a deadline) takes one or gives up. Every run can end: B's
 * timeouts leave items for A, and a lost wake-up leaves A asleep with an item there (an invalid
 * end state).
 *
 * Properties: notify(n) admits exactly the next min(n, live) live tickets (a ghost count over
 * the tickets, independent of notify's own loop); a wait returns true only for a notify (ghost
 * `trueReturns` <= notifications granted); no invalid end state (no lost wake-up, no deadlock).
 *
 * Reading the wake slot before the lock goes (:298-299) is more than needed: the model verifies
 * with the read anywhere before the waiter's ADMIT check; what matters is "WAKE read before
 * ADMIT, ADMIT stored before WAKE bumped" (the invariant at :20-21).
 *
 * Mutants (spin -DMUTANT_...):
 *   MUTANT_BUMP_BEFORE_ADMIT  notify bumps and wakes the slots before it stores ADMIT (:439)
 *   MUTANT_READ_SLOT_AFTER_ADMIT  the waiter reads its wake slot after it reads ADMIT, just
 *                             before sleeping (instead of :299 and :309)
 *   MUTANT_NO_CANCEL          a timed-out waiter leaves its ticket live (:328)
 *   MUTANT_COUNT_CANCELLED    notify counts cancelled tickets among the n it admits (:435)
 */

#define NPROC 3
#define WAKES 2
#define WINDOW 4
#define NSLOTS WAKES
#define SPURIOUS 1
#ifndef PRODUCE
#define PRODUCE 3
#endif
#ifndef WANT_A
#define WANT_A 2
#endif

#include "futex.pml"

/* The condition's lock: 0 free, else the holder's ident. */
byte lk;
/* Condition slots (condition.ts:7-10). */
byte NEXT, ADMIT;
bool cancelled[WINDOW];
/* The predicate's state: items available. */
byte items;
/* Ghosts: notifications granted (n of each notify, bounded by the live tickets) and waits that
   returned true. */
byte granted, trueReturns;

inline lock_acquire() { atomic { lk == 0 -> lk = me } }
inline lock_release() { assert(lk == me); lk = 0 }

#define admitted(t) ((t) < ADMIT)

/* #ticket (condition.ts:277), lock held. */
inline cond_ticket() {
  atomic {
    t = NEXT;
    assert(t - ADMIT < WINDOW);                         /* :280 at most WINDOW outstanding */
    NEXT = t + 1                                        /* :283 */
  }
}

/* cancel(i32, t) (condition.ts:103), lock held: only ADMIT is read by others, stored once. */
inline cond_cancel() {
  atomic {
    cancelled[t % WINDOW] = !cancelled[t % WINDOW];     /* :104 toggleCancelled */
    admit = ADMIT;                                      /* :105-106 */
    do
    :: admit != NEXT && cancelled[admit % WINDOW] ->    /* :107 */
      cancelled[admit % WINDOW] = false;                /* :108 */
      admit++                                           /* :109 */
    :: else -> break
    od;
    ADMIT = admit;                                      /* :111 */
    admit = 0
  }
}

/* waitSync: #ticket then #waitSlow (condition.ts:350-351, :288-335). Sets `notified`. */
inline cond_wait() {
  cond_ticket();
  slot = t % WAKES;                                     /* :293 */
#ifndef MUTANT_READ_SLOT_AFTER_ADMIT
  expected = mem[slot];                                 /* :299 before the lock goes */
#endif
  lock_release();                                       /* :300 _releaseSave */
  do
  :: admitted(t) -> break                               /* :304 */
  :: else ->
    if                                                  /* :305 the deadline may pass */
    :: timed && !expired -> expired = true
    :: true -> skip
    fi;
    if
    :: expired -> break                                 /* :305 */
    :: else ->
#ifdef MUTANT_READ_SLOT_AFTER_ADMIT
      expected = mem[slot];
#endif
      futex_wait(me - 1, slot, expected, timed, expired, false, res);   /* :308 */
#ifndef MUTANT_READ_SLOT_AFTER_ADMIT
      atomic { expected = mem[slot]; res = OK }         /* :309 */
#else
      res = OK
#endif
    fi
  od;
  lock_acquire();                                       /* :321 _acquireRestore, no timeout */
  notified = admitted(t);                               /* :327 */
  if
  :: !notified ->
#ifndef MUTANT_NO_CANCEL
    cond_cancel()                                       /* :328 */
#else
    skip
#endif
  :: else -> trueReturns++; assert(trueReturns <= granted)
  fi;
  atomic { t = 0; slot = 0; expected = 0 }
}

/* notify(n) (condition.ts:421), lock held. */
inline cond_notify(n) {
  atomic {
    first = ADMIT;                                      /* :430 */
    admit = first;                                      /* :433 */
    live = 0;
    do
    :: live < n && admit != NEXT ->                     /* :434 */
#ifdef MUTANT_COUNT_CANCELLED
      live++;
#else
      if
      :: !cancelled[admit % WINDOW] -> live++           /* :435 */
      :: else -> skip
      fi;
#endif
      admit++
    :: else -> break
    od;
    granted = granted + live;
    /* Ghost check of the spec: the tickets admitted now are exactly the next min(n, live
       outstanding) live ones. */
    live = 0;
    tw = first;
    do
    :: tw != NEXT ->
      if
      :: !cancelled[tw % WINDOW] && tw < admit -> live++; outstanding++
      :: !cancelled[tw % WINDOW] && tw >= admit -> outstanding++
      :: else -> skip
      fi;
      tw++
    :: else -> break
    od;
    assert(live == (outstanding < n -> outstanding : n));
    live = 0;
    outstanding = 0;
    tw = 0
  }
  if
  :: admit == first -> skip                             /* :437 */
  :: else ->
#ifndef MUTANT_BUMP_BEFORE_ADMIT
    ADMIT = admit;                                      /* :439 publish before any wake */
#endif
    tw = first;
    do
    :: tw != admit ->                                   /* :440 */
      if
      :: cancelled[tw % WINDOW] -> cancelled[tw % WINDOW] = false   /* :441-443 */
      :: else ->
        mem[tw % WAKES]++;                              /* :446 */
        futex_notify(tw % WAKES, ALL)                   /* :447 wakeAll */
      fi;
      tw++
    :: else -> break
    od;
#ifdef MUTANT_BUMP_BEFORE_ADMIT
    ADMIT = admit;
#endif
    tw = 0
  fi;
  atomic { first = 0; admit = 0 }
}

proctype Producer(byte me) {
  byte first, admit, live, outstanding, tw, i;
  do
  :: i == PRODUCE -> break
  :: else ->
    i++;
    lock_acquire();
    items++;
    cond_notify(1);
    lock_release()
  od
}

/* Takes `want` items, waiting with waitForSync; with `timed`, may give up (and stops). */
proctype Consumer(byte me; byte want; bool timed) {
  byte t, slot, expected, res, admit, got;
  bool expired, notified, gaveUp;
  do
  :: got == want || gaveUp -> break
  :: else ->
    lock_acquire();
    do                                                  /* waitForSync (:380) */
    :: items > 0 -> items--; got++; break               /* predicate() */
    :: else ->
      if                                                /* :385-386 remaining <= 0 */
      :: timed && !expired -> expired = true
      :: true -> skip
      fi;
      if
      :: expired -> gaveUp = true; break
      :: else -> cond_wait(); notified = false          /* :387 */
      fi
    od;
    lock_release()
  od
}

init {
  atomic {
    byte k;
    for (k : 0 .. NPROC - 1) {
      waitOn[k] = NONE
    }
    run Producer(1);
    run Consumer(2, WANT_A, false);
    run Consumer(3, 1, true)
  }
}
