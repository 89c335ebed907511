// @ts-check
/**
 * The daily budget ("Pictures per day"): how many requests went to Image Generation today,
 * across chats, per local calendar day, kept in the extension settings so a reload keeps it.
 * Every request counts (retries and redraws too: a paid backend charges each). At the limit
 * a picture that would be drawn by itself is held back (its box offers a click); what the
 * user chooses (a click, manual generation, Check setup) is drawn regardless, and counts.
 *
 * The limit is decided on the requests started or reserved, not finished: a reply's tags
 * arrive while earlier pictures are still queued or drawing, when the count has not risen
 * yet. So a picture drawn by itself reserves a slot when its job starts; the slot passes to
 * its request as that is about to be sent (a retry or redraw reserves one then); and the
 * request gives it up as it is counted, in drawNow (sd.js), just before Image Generation is
 * called. A slot whose request is never sent (dropped, aborted) is released.
 *
 * The first part is pure (day key, next count, the limit check); DailyBudget holds the slots
 * over an injected store; `budget` is the one instance, over SillyTavern's settings.
 */
import { ctx } from '../st.js';
import { log } from '../log.js';

/** Where today's count is kept in SillyTavern's extension settings. */
export const TODAY_KEY = 'inlineImagesToday';

/** @typedef {{day: string, count: number}} DayCount */

/**
 * The local calendar day of `date`, as 'YYYY-MM-DD'.
 * @param {Date} date
 */
export function dayKey(date) {
    const two = (/** @type {number} */ n) => String(n).padStart(2, '0');
    return `${String(date.getFullYear()).padStart(4, '0')}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
}

/**
 * The count of `day` in what was stored: 0 for another day, and for anything unreadable.
 * @param {unknown} stored @param {string} day
 */
export function countOn(stored, day) {
    const record = /** @type {any} */ (stored);
    if (!record || typeof record !== 'object' || record.day !== day) return 0;
    const count = record.count;
    return Number.isSafeInteger(count) && count > 0 ? count : 0;
}

/**
 * What to store after one more request on `day` (a new day starts again from 1).
 * @param {unknown} stored @param {string} day
 * @returns {DayCount}
 */
export function nextCount(stored, day) {
    return { day, count: countOn(stored, day) + 1 };
}

/**
 * Whether a picture drawn by itself must wait: `count` requests today and `reserved` more
 * under way already reach the limit (0: no limit).
 * @param {number} count @param {number} reserved @param {number} limit
 */
export function isOver(count, reserved, limit) {
    return limit > 0 && count + reserved >= limit;
}

/**
 * @typedef {object} BudgetStore
 * @property {() => unknown} read what is stored (anything: it is read defensively)
 * @property {(value: DayCount) => void} write
 * @property {() => Date} [now]
 */

export class DailyBudget {
    /** @param {BudgetStore} store */
    constructor(store) {
        this.store = store;
        /** Slots held: jobs about to be drawn by themselves, and requests about to be sent. @type {Set<object>} */
        this.slots = new Set();
        /** @type {Set<(count: number) => void>} */
        this.listeners = new Set();
    }

    /** Requests sent today. */
    today() {
        return countOn(this.store.read(), dayKey(this.store.now?.() ?? new Date()));
    }

    /**
     * Hold a slot for `owner`, unless today's requests and the slots held reach `limit`
     * (0: no limit, for what the user chose: it is drawn whatever the count).
     * @param {object} owner @param {number} limit @returns {boolean} whether it may be drawn
     */
    reserve(owner, limit) {
        if (this.slots.has(owner)) return true;
        if (isOver(this.today(), this.slots.size, limit)) return false;
        this.slots.add(owner);
        return true;
    }

    /**
     * The slot of `from` (a job) passes to `to` (its request).
     * @param {object} from @param {object} to @returns {boolean} false when `from` held none
     */
    pass(from, to) {
        if (!this.slots.delete(from)) return false;
        this.slots.add(to);
        return true;
    }

    /** `owner` will not send a request (any more): its slot, if it holds one, is free. @param {object} owner */
    release(owner) {
        this.slots.delete(owner);
    }

    /**
     * A request is being sent: today's count goes up (and is saved), and the slot it held,
     * if any, is used up. Never throws: a draw must not fail over its bookkeeping.
     * @param {object} request
     */
    counted(request) {
        this.slots.delete(request);
        try {
            const next = nextCount(this.store.read(), dayKey(this.store.now?.() ?? new Date()));
            this.store.write(next);
            for (const listener of this.listeners) listener(next.count);
        } catch (error) {
            log.warn('could not count a picture for the daily limit', error);
        }
    }

    /** Call `listener` with the new count whenever a request is counted. @param {(count: number) => void} listener */
    onChange(listener) {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
    }
}

/** The budget of this browser's SillyTavern user, kept in the extension settings. */
export const budget = new DailyBudget({
    read: () => ctx().extensionSettings?.[TODAY_KEY],
    write: (value) => {
        const c = ctx();
        c.extensionSettings[TODAY_KEY] = value;
        c.saveSettingsDebounced?.();
    },
});

/**
 * drawNow (sd.js): a request is about to go to Image Generation. Every request passes here.
 * @param {AbortSignal} request the request's signal (the slot it holds, if any, is keyed by it)
 */
export function countRequest(request) {
    budget.counted(request);
}
