/*
 * condition.pml: the ticket protocol of src/condition.ts.
 *
 * Mirrors (see models/README.md for the line table):
 *   cond_ticket    Condition#ticket (condition.ts:435-449)
 *   cond_wait      #enter, turn, woke, #waitSlowSync, #leave
 *                  (condition.ts:458-474, 219-250, 518-548), as waitSync drives them
 *   cond_pass_gone gone (condition.ts:144-152) and passGone (condition.ts:159-165)
 *   cond_cancel    cancel (condition.ts:171-174)
 *   cond_notify    Condition.notify (condition.ts:650-687)
 *   consumer       waitForSync (condition.ts:609-620) around a shared item count
 *
 * The condition's lock is modelled as an atomic test-and-set (`lk`): lock_word.pml verifies the
 * lock word on its own, and the ticket protocol only needs "one holder at a time, a blocked
 * acquire proceeds once it is free". NEXT, ADMIT and the OWNER entries are plain variables
 * (changed only with the lock held; ADMIT is also read without it). WAKES = 2 wake slots (the
 * futex slots mem[0..1]) and WINDOW = 4, so tickets share wake slots and OWNER entries wrap, as
 * with 32 and 1024 in the code. Tickets do not wrap mod 2^32 in these bounded runs.
 *
 * Liveness (`lifeOf`, ident.ts:225) is `dead[ident]`, which only goes false → true. Consumer B is
 * mortal (MORTAL_B, default 1): its thread may be killed while it waits and its ticket is not
 * admitted — before it sleeps, or while asleep (the futex's `poll` stands for the kill ending
 * the sleep; the kill follows at once) — never while it holds the lock (that is the lock word's
 * owner death, verified in lock_word.pml). A kill during a notify, or after B's ticket was
 * admitted, is not modelled: the notify may then go to B, as it goes to any thread that dies
 * just after being notified, and no protocol can tell a thread about to die from one that runs
 * on; the code promises only that a notify skips a waiter that ended before it.
 *
 * Workload: a producer adds PRODUCE items, notify(1) after each; consumer A (no timeout) takes
 * WANT_A items; consumer B (with a deadline, mortal) takes one, gives up, or is killed. Every run
 * can end: B's timeouts and death leave items for A, and a lost wake-up leaves A asleep with an
 * item there (an invalid end state).
 *
 * Properties: notify(n) admits exactly the next min(n, live) live tickets, a live ticket being
 * one whose waiter neither left unnotified nor was killed (a ghost count over the tickets,
 * independent of notify's own loop); a wait returns true only for a notify (ghost
 * `trueReturns` <= notifications granted); no invalid end state (no lost wake-up, no deadlock).
 *
 * Reading the wake slot before the lock goes (:463) is more than needed: the model verifies
 * with the read anywhere before the waiter's ADMIT check; what matters is "WAKE read before
 * ADMIT, ADMIT stored before WAKE bumped" (the invariant at :27-28).
 *
 * Deferred wake (issue 9): notify, lock held, bumps the wake slots but owes their wakes
 * (`deferWakeAll`, here the producer's `owed` bits); its release frees the lock, then does them
 * (`Lock.release` / `_releaseSave`: `unlock`, then `flushWakes`; here `cond_flush`). The flush
 * before a park is the futex layer's, which the producer never does. Not modelled: the waiter's
 * poll of ADMIT every OWNER_POLL_MS, which only bounds the wait behind a notifier killed before
 * its release (kills of the producer are not modelled): the model verifies that the flush alone
 * loses no wake-up, so a poll could only hide a lost one. -DWAKE_AT_ONCE models wakes done
 * before the release, with the lock still held: the notifier's thread releases another lock
 * first (nested locks; any release flushes the thread's owed wakes), or the code before the
 * deferral.
 *
 * Mutants (spin -DMUTANT_...):
 *   MUTANT_BUMP_BEFORE_ADMIT  notify bumps and wakes the slots before it stores ADMIT (:667),
 *                             waking at once (with the wake deferred past the store, the order
 *                             of the store and the bumps would not matter)
 *   MUTANT_NO_FLUSH           the release does not do the wakes the notify owed
 *   MUTANT_READ_SLOT_AFTER_ADMIT  the waiter reads its wake slot after it reads ADMIT, just
 *                             before sleeping (instead of :463 and :247)
 *   MUTANT_NO_CANCEL          a timed-out waiter leaves its ticket live (:541)
 *   MUTANT_COUNT_CANCELLED    notify counts cancelled tickets among the n it admits (:663)
 *   MUTANT_COUNT_DEAD         notify counts (and wakes) the tickets of killed waiters, as the
 *                             code did before issue 10 (:663, gone's liveness check at :148)
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
#ifndef MORTAL_B
#define MORTAL_B 1
#endif

#include "futex.pml"

/* The condition's lock: 0 free, else the holder's ident. */
byte lk;
/* Condition slots (condition.ts:5-11): OWNER[t % WINDOW] = ident of ticket t's waiter, 0 once
   cancelled. */
byte NEXT, ADMIT;
byte owner[WINDOW];
/* lifeOf(ident) == LIFE_ENDED, by ident (1..NPROC). */
bool dead[NPROC + 1];
/* Ghost: a notify is running (kills are not modelled inside one; see above). */
bool notifying;
/* The predicate's state: items available. */
byte items;
/* Ghosts: notifications granted (n of each notify, bounded by the live tickets) and waits that
   returned true. */
byte granted, trueReturns;

inline lock_acquire() { atomic { lk == 0 -> lk = me } }
inline lock_release() { assert(lk == me); lk = 0 }

#define admitted(t) ((t) < ADMIT)
/* The spec of a live ticket (ghost checks only): its waiter did not leave and was not killed. */
#define LIVE(t) (owner[(t) % WINDOW] != 0 && !dead[owner[(t) % WINDOW]])
/* Whether this waiter's thread may be killed now (see above). */
#define KILLABLE (mortal && !notifying && !admitted(t))

/* passGone (condition.ts:159), lock held: ADMIT past the gone tickets at its head. */
inline cond_pass_gone() {
  atomic {
    admit = ADMIT;                                      /* :159-160 */
    do
    :: admit != NEXT && owner[admit % WINDOW] == 0 ->   /* :162, gone :146 */
      admit++
    :: admit != NEXT && owner[admit % WINDOW] != 0 && dead[owner[admit % WINDOW]] ->
      owner[admit % WINDOW] = 0;                        /* gone :148-149 */
      admit++
    :: else -> break
    od;
    ADMIT = admit;                                      /* :163 */
    admit = 0
  }
}

/* #ticket (condition.ts:435), lock held. */
inline cond_ticket() {
  t = NEXT;
  if
  :: t - ADMIT >= WINDOW -> cond_pass_gone()            /* :437-439 full: pass gone tickets */
  :: else -> skip
  fi;
  atomic {
    assert(t - ADMIT < WINDOW);                         /* :440 at most WINDOW outstanding */
    owner[t % WINDOW] = me;                             /* :445 */
    NEXT = t + 1                                        /* :446 */
  }
}

/* cancel(i32, t) (condition.ts:171), lock held. */
inline cond_cancel() {
  owner[t % WINDOW] = 0;                                /* :171 */
  cond_pass_gone()                                      /* :172 */
}

/* waitSync: #ticket, #enter, then #waitSlowSync (condition.ts:560-569). Sets `notified`. */
inline cond_wait() {
  cond_ticket();
  slot = t % WAKES;                                     /* :459 */
#ifndef MUTANT_READ_SLOT_AFTER_ADMIT
  expected = mem[slot];                                 /* :463 before the lock goes */
#endif
  lock_release();                                       /* :471 _releaseSave */
  do
  :: admitted(t) -> break                               /* :220 turn */
  :: else ->
    if                                                  /* killed before it sleeps */
    :: atomic { KILLABLE -> dead[me] = true }; goto died
    :: true -> skip
    fi;
    if                                                  /* :224 the deadline may pass */
    :: timed && !expired -> expired = true
    :: true -> skip
    fi;
    if
    :: expired -> break                                 /* :224 */
    :: else ->
#ifdef MUTANT_READ_SLOT_AFTER_ADMIT
      expected = mem[slot];
#endif
      /* :519 parkSync; the poll: killed while asleep */
      futex_wait(me - 1, slot, expected, timed, expired, KILLABLE, res);
      if
      :: res == TIMED_OUT && !expired ->                /* the kill ended the sleep */
        if
        :: atomic { KILLABLE -> dead[me] = true }; goto died
        :: else -> skip                                 /* a notify came first: a wake-up */
        fi
      :: else -> skip
      fi;
#ifndef MUTANT_READ_SLOT_AFTER_ADMIT
      atomic { expected = mem[slot]; res = OK }         /* :247 woke */
#else
      res = OK
#endif
    fi
  od;
  lock_acquire();                                       /* :521 _acquireRestore, no timeout */
  notified = admitted(t);                               /* :540 (admitted seen in the loop, or looked at again) */
  if
  :: !notified ->
#ifndef MUTANT_NO_CANCEL
    cond_cancel()                                       /* :541 */
#else
    skip
#endif
  :: else -> trueReturns++; assert(trueReturns <= granted)
  fi;
  atomic { t = 0; slot = 0; expected = 0 }
}

/* notify(n) (condition.ts:650), lock held. */
inline cond_notify(n) {
  atomic {
    notifying = true;
    first = ADMIT;                                      /* :657 */
    admit = first;                                      /* :661 */
    live = 0;
    do
    :: live < n && admit != NEXT ->                     /* :662 */
#ifdef MUTANT_COUNT_CANCELLED
      live++;
#else
      if
      :: owner[admit % WINDOW] == 0 -> skip             /* :663 gone: cancelled (:146) */
#ifndef MUTANT_COUNT_DEAD
      :: owner[admit % WINDOW] != 0 && dead[owner[admit % WINDOW]] ->
        owner[admit % WINDOW] = 0                       /* :663 gone: ended, cleared (:148-149) */
#endif
      :: else -> live++
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
      :: LIVE(tw) && tw < admit -> live++; outstanding++
      :: LIVE(tw) && tw >= admit -> outstanding++
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
  :: admit == first -> skip                             /* :665 */
  :: else ->
#ifndef MUTANT_BUMP_BEFORE_ADMIT
    ADMIT = admit;                                      /* :667 publish before any wake */
#endif
    tw = first;
    do
    :: tw != admit ->                                   /* :676 */
      if
      :: owner[tw % WINDOW] == 0 -> skip                /* :677 */
      :: else ->
        mem[tw % WAKES]++;                              /* :681 */
#if defined(WAKE_AT_ONCE) || defined(MUTANT_BUMP_BEFORE_ADMIT)
        futex_notify(tw % WAKES, ALL)                   /* WAKE_AT_ONCE: a wake before the release */
#else
        owed = owed | (1 << (tw % WAKES))               /* :682 deferWakeAll */
#endif
      fi;
      tw++
    :: else -> break
    od;
#ifdef MUTANT_BUMP_BEFORE_ADMIT
    ADMIT = admit;
#endif
    tw = 0
  fi;
  atomic { first = 0; admit = 0; notifying = false }
}

/* flushWakes (futex.ts), from unlockSlow after the word is free: the wakes the notifies owed. */
inline cond_flush() {
#ifndef MUTANT_NO_FLUSH
  tw = 0;
  do
  :: tw < WAKES ->
    if
    :: owed & (1 << tw) -> futex_notify(tw, ALL)
    :: else -> skip
    fi;
    tw++
  :: else -> break
  od;
#endif
  atomic { owed = 0; tw = 0 }
}

proctype Producer(byte me) {
  byte first, admit, live, outstanding, tw, i, owed;
  do
  :: i == PRODUCE -> break
  :: else ->
    i++;
    lock_acquire();
    items++;
    cond_notify(1);
    lock_release();                 /* Lock.release: unlock, the word free first */
    cond_flush()                    /* then the owed wakes (Lock.release: flushWakes) */
  od
}

/* Takes `want` items, waiting with waitForSync; with `timed`, may give up (and stops); with
   `mortal`, may be killed inside a wait (and stops, its ticket left behind). */
proctype Consumer(byte me; byte want; bool timed; bool mortal) {
  byte t, slot, expected, res, admit, got;
  bool expired, notified, gaveUp;
  do
  :: got == want || gaveUp -> break
  :: else ->
    lock_acquire();
    do                                                  /* waitForSync (:607) */
    :: items > 0 -> items--; got++; break               /* predicate() */
    :: else ->
      if                                                /* :612-613 remaining <= 0 */
      :: timed && !expired -> expired = true
      :: true -> skip
      fi;
      if
      :: expired -> gaveUp = true; break
      :: else -> cond_wait(); notified = false          /* :614 */
      fi
    od;
    lock_release()
  od;
died:
  skip
}

init {
  atomic {
    byte k;
    for (k : 0 .. NPROC - 1) {
      waitOn[k] = NONE
    }
    run Producer(1);
    run Consumer(2, WANT_A, false, false);
    run Consumer(3, 1, true, MORTAL_B)
  }
}
