import test from 'node:test';
import assert from 'node:assert/strict';
import { setLogLevel } from '../../src/log.js';

setLogLevel('SILENT');
// Far from UTC, so a local day and a UTC day differ for half of it.
process.env.TZ = 'Pacific/Auckland';

/** A SillyTavern with one open chat and settings a reload reads back. */
function stage() {
    const state = { chatId: 'A', chat: /** @type {any[]} */ ([]), settings: /** @type {any} */ ({}), saves: 0 };
    /** @type {any} */ (globalThis).document = { querySelector: () => null, getElementById: () => null };
    /** @type {any} */ (globalThis).SillyTavern = {
        getContext: () => ({
            getCurrentChatId: () => state.chatId, chat: state.chat,
            extensionSettings: state.settings, saveSettingsDebounced: () => { state.saves++; },
        }),
    };
    return state;
}

const { dayKey, countOn, nextCount, isOver, DailyBudget, budget, countRequest, TODAY_KEY } = await import('../../src/picture/budget.js');
const { Jobs } = await import('../../src/picture/jobs.js');
const { Streams } = await import('../../src/chat/streams.js');
const { FailedPictures } = await import('../../src/picture/failed.js');
const { markChatLoaded } = await import('../../src/chat/open-chat.js');
const { retryTag, redrawMessage } = await import('../../src/features/redraw.js');

test('the day key is the local calendar day, and it rolls over at local midnight', () => {
    const lastMoment = new Date(2026, 2, 14, 23, 59, 59, 999);
    const midnight = new Date(lastMoment.getTime() + 1);
    assert.equal(dayKey(lastMoment), '2026-03-14');
    assert.equal(dayKey(midnight), '2026-03-15');
    // Auckland is ahead of UTC: its morning is still yesterday in UTC, but it is today here.
    const morning = new Date(2026, 2, 15, 9, 0);
    assert.equal(morning.toISOString().slice(0, 10), '2026-03-14');
    assert.equal(dayKey(morning), '2026-03-15');
    assert.equal(dayKey(new Date(2026, 0, 5)), '2026-01-05', 'months and days have two digits');
});

test('the count is the stored one only for that day; anything unreadable counts as 0', () => {
    assert.equal(countOn({ day: '2026-03-15', count: 7 }, '2026-03-15'), 7);
    assert.equal(countOn({ day: '2026-03-14', count: 7 }, '2026-03-15'), 0, 'yesterday\'s count');
    for (const broken of [undefined, null, 'x', 42, [], [1, 2], { day: '2026-03-15' }, { day: '2026-03-15', count: -3 },
        { day: '2026-03-15', count: 1.5 }, { day: '2026-03-15', count: '4' }, { day: '2026-03-15', count: NaN },
        { day: '2026-03-15', count: Infinity }, { day: 20260315, count: 4 }]) {
        assert.equal(countOn(broken, '2026-03-15'), 0, JSON.stringify(broken) ?? String(broken));
    }
});

test('the next count adds one on the same day and starts at 1 on a new day or from garbage', () => {
    assert.deepEqual(nextCount({ day: '2026-03-15', count: 2 }, '2026-03-15'), { day: '2026-03-15', count: 3 });
    assert.deepEqual(nextCount({ day: '2026-03-14', count: 9 }, '2026-03-15'), { day: '2026-03-15', count: 1 });
    assert.deepEqual(nextCount('corrupted', '2026-03-15'), { day: '2026-03-15', count: 1 });
});

test('over the limit: requests counted and reserved reach it; 0 is no limit', () => {
    assert.equal(isOver(1, 0, 2), false);
    assert.equal(isOver(1, 1, 2), true);
    assert.equal(isOver(2, 0, 2), true);
    assert.equal(isOver(0, 2, 2), true, 'reserved slots count before their requests are sent');
    assert.equal(isOver(5000, 40, 0), false);
});

/** A budget over a plain store, with a clock the test moves. */
function memoryBudget(start = new Date(2026, 2, 15, 12, 0)) {
    const store = { value: /** @type {unknown} */ (undefined), now: start };
    const b = new DailyBudget({ read: () => store.value, write: (v) => { store.value = v; }, now: () => store.now });
    return { b, store };
}

test('reservations: at limit 2, only two of four pictures get a slot, until a slot is given back', () => {
    const { b } = memoryBudget();
    const owners = [{}, {}, {}, {}];
    assert.deepEqual(owners.map((o) => b.reserve(o, 2)), [true, true, false, false]);
    b.release(owners[1]);
    assert.equal(b.reserve(owners[2], 2), true, 'a slot given back is free');
    assert.equal(b.reserve({}, 0), true, 'the user\'s choice is drawn whatever the count');
});

test('a slot passes from the job to its request, which uses it up as it is counted', () => {
    const { b, store } = memoryBudget();
    const job = {};
    const request = {};
    assert.equal(b.reserve(job, 1), true);
    assert.equal(b.pass(job, request), true);
    assert.equal(b.pass(job, {}), false, 'the job holds no slot any more');
    b.counted(request);
    assert.deepEqual(store.value, { day: '2026-03-15', count: 1 });
    assert.equal(b.slots.size, 0);
    assert.equal(b.reserve({}, 1), false, 'the day\'s one picture is spent');
});

test('the count survives a reload, starts again at local midnight, and a corrupted value starts at 0', () => {
    const { b, store } = memoryBudget(new Date(2026, 2, 15, 23, 59, 59));
    const seen = [];
    b.onChange((n) => seen.push(n));
    b.counted({});
    b.counted({});
    assert.deepEqual(seen, [1, 2]);
    const reloaded = new DailyBudget({ read: () => store.value, write: (v) => { store.value = v; }, now: () => store.now });
    assert.equal(reloaded.today(), 2);
    assert.equal(reloaded.reserve({}, 2), false);
    store.now = new Date(2026, 2, 16, 0, 0, 0);
    assert.equal(reloaded.today(), 0, 'a new day');
    assert.equal(reloaded.reserve({}, 2), true);
    reloaded.counted({});
    assert.deepEqual(store.value, { day: '2026-03-16', count: 1 });
    store.value = { day: '2026-03-16', count: 'lots' };
    assert.equal(reloaded.today(), 0);
    reloaded.counted({});
    assert.deepEqual(store.value, { day: '2026-03-16', count: 1 });
});

test('counting never breaks a draw, even when the store throws', () => {
    const b = new DailyBudget({ read: () => { throw new Error('gone'); }, write: () => {} });
    assert.doesNotThrow(() => b.counted({}));
});

test('the shared budget keeps its count in the extension settings and saves them', () => {
    const state = stage();
    state.settings[TODAY_KEY] = { garbage: true };
    assert.equal(budget.today(), 0);
    countRequest(new AbortController().signal);
    assert.deepEqual(state.settings[TODAY_KEY], { day: dayKey(new Date()), count: 1 });
    assert.equal(state.saves, 1);
});

/**
 * Jobs over one chat with a budget; the source counts each request as drawNow does, and takes
 * `ms` to answer, so later tags arrive while earlier pictures are still drawing.
 */
function world(overrides = {}, { ms = 5, failFirst = 0 } = {}) {
    const state = stage();
    const { b } = memoryBudget();
    const settings = /** @type {any} */ ({ maxConcurrent: 1, minIntervalMs: 0, timeoutSeconds: 5, generateWhileStreaming: true, retries: 0, dailyLimit: 2, ...overrides });
    /** @type {string[]} */
    const drawn = [];
    /** @type {string[]} */
    const delivered = [];
    const failed = new FailedPictures();
    const jobs = new Jobs({
        settings: () => settings, chatId: () => state.chatId, indexOf: (m) => state.chat.indexOf(m), retryDelayMs: () => 1,
        draw: async ({ prompt }, signal) => {
            b.counted(signal);
            drawn.push(prompt);
            await new Promise((r) => setTimeout(r, ms));
            if (drawn.length <= failFirst) throw new Error('backend 500');
            return `/img/${prompt}.png`;
        },
        deliver: async (job) => { delivered.push(job.prompt); return 'written'; }, changed: () => {}, moving: (m) => streams.has(m),
        budget: b, held: (job) => failed.remember(job), forgetFailed: (job) => failed.forget(job),
        failed: (job) => failed.remember(job),
    });
    const streams = new Streams({ jobs, settings: () => settings });
    return { state, b, jobs, streams, drawn, delivered, settings, failed };
}

async function allDone(/** @type {any} */ jobs) {
    for (let i = 0; i < 100 && !jobs.idle; i++) {
        await Promise.all([...jobs.jobs].map((j) => j.done));
        await new Promise((r) => setTimeout(r, 2));
    }
}

const fourTags = () => ({ mes: 'a <img-prompt="one"> b <img-prompt="two"> c <img-prompt="three"> d <img-prompt="four">', swipe_id: 0, send_date: 'd1', name: 'S' });

test('limit 2, a four-tag reply streamed while the first is drawing: exactly two requests, two tags held', async () => {
    const { state, b, jobs, streams, drawn, delivered } = world();
    const message = { ...fourTags(), send_date: 'while streaming' };
    state.chat.push(message);
    markChatLoaded();
    streams.started(message, 0, '');
    streams.text(message, message.mes);
    // SillyTavern stamps a streamed reply again as it ends.
    message.send_date = 'd1';
    streams.finished(message);
    await allDone(jobs);
    assert.deepEqual(drawn, ['one', 'two']);
    assert.equal(b.today(), 2);
    assert.equal(b.slots.size, 0, 'no slot left behind');
    assert.deepEqual(delivered, ['one', 'two']);
    const states = jobs.statesFor(message);
    assert.deepEqual([2, 3].map((o) => states?.get(o)?.status), ['limit', 'limit']);
    assert.equal(state.settings.inlineImagesFailed.length, 2, 'the held ones are remembered once the reply is final');
    assert.ok(state.settings.inlineImagesFailed.every((/** @type {any} */ r) => r.failure.held === true && r.identity.sendDate === 'd1'));
});

test('at the limit a click draws a held tag and counts; manual generation draws the rest', async () => {
    const { state, b, jobs, drawn } = world();
    const message = fourTags();
    state.chat.push(message);
    markChatLoaded();
    jobs.drawMessage(message);
    await allDone(jobs);
    assert.deepEqual(drawn, ['one', 'two']);
    const job = retryTag(jobs, message, 3);
    assert.equal(job?.prompt, 'four');
    await allDone(jobs);
    assert.deepEqual(drawn, ['one', 'two', 'four']);
    assert.equal(b.today(), 3);
    // Pictures delivered are written into the text in the real extension; here the one left is 'three'.
    message.mes = message.mes.replace(/(<img-prompt="(one|two|four)">)/g, '$1<img data-iig="1" src="/x.png" title="x" alt="x">');
    await redrawMessage(jobs, /** @type {any} */ ({ rewrite: async () => false }), message, 'append');
    assert.deepEqual(drawn, ['one', 'two', 'four', 'three']);
    assert.equal(b.today(), 4);
    assert.equal(state.settings.inlineImagesFailed.length, 0, 'nothing held any more');
});

test('the next reply at the limit waits entirely, after a reload too', async () => {
    const first = world();
    const message = fourTags();
    first.state.chat.push(message);
    markChatLoaded();
    first.jobs.drawMessage(message);
    await allDone(first.jobs);
    // The reload: a new extension over the same settings, the count and held records read back.
    const again = world();
    again.b.store.read = first.b.store.read;
    again.state.chat.push({ ...message, mes: message.mes }, { mes: 'e <img-prompt="five"> f <img-prompt="six">', swipe_id: 0, send_date: 'd2', name: 'S' });
    Object.assign(again.state.settings, first.state.settings);
    const reloaded = new FailedPictures();
    reloaded.load();
    assert.deepEqual(new Set(reloaded.restore(again.jobs)), new Set([again.state.chat[0]]));
    const states = again.jobs.statesFor(again.state.chat[0]);
    assert.deepEqual([2, 3].map((o) => states?.get(o)?.status), ['limit', 'limit']);
    again.jobs.drawMessage(again.state.chat[1]);
    await allDone(again.jobs);
    assert.deepEqual(again.drawn, []);
    assert.deepEqual([0, 1].map((o) => again.jobs.statesFor(again.state.chat[1])?.get(o)?.status), ['limit', 'limit']);
});

test('a retry of a picture drawn by itself is a request: at the limit it waits instead', async () => {
    const { state, b, jobs, drawn, delivered } = world({ dailyLimit: 1, retries: 2 }, { failFirst: 1 });
    const message = { mes: 'x <img-prompt="owl">', swipe_id: 0, send_date: 'd1', name: 'S' };
    state.chat.push(message);
    markChatLoaded();
    jobs.drawMessage(message);
    await allDone(jobs);
    assert.deepEqual(drawn, ['owl'], 'the retry was not sent');
    assert.equal(b.today(), 1);
    const shown = jobs.statesFor(message)?.get(0);
    assert.equal(shown?.status, 'limit');
    assert.equal(shown?.error, 'backend 500');
    // A click is the user's choice: drawn (its own retries too) whatever the count.
    retryTag(jobs, message, 0);
    await allDone(jobs);
    assert.deepEqual(drawn, ['owl', 'owl']);
    assert.deepEqual(delivered, ['owl']);
});

test('slots of pictures dropped before they were sent are given back', async () => {
    const { state, b, jobs, drawn } = world({}, { ms: 30 });
    const gone = fourTags();
    state.chat.push(gone);
    markChatLoaded();
    jobs.drawMessage(gone);
    // 'one' is drawing, 'two' holds a slot in the queue; the message is deleted.
    state.chat.length = 0;
    jobs.dropOrphans(state.chat, 'deleted');
    await allDone(jobs);
    assert.equal(b.slots.size, 0);
    assert.equal(b.today(), 1, 'only the request sent counts');
    const next = { mes: 'n <img-prompt="five">', swipe_id: 0, send_date: 'd2', name: 'S' };
    state.chat.push(next);
    jobs.drawMessage(next);
    await allDone(jobs);
    assert.deepEqual(drawn, ['one', 'five']);
});

test('no limit (0): every tag is drawn and still counted', async () => {
    const { state, b, jobs, drawn } = world({ dailyLimit: 0 });
    const message = fourTags();
    state.chat.push(message);
    markChatLoaded();
    jobs.drawMessage(message);
    await allDone(jobs);
    assert.equal(drawn.length, 4);
    assert.equal(b.today(), 4);
});
