import test from 'node:test';
import assert from 'node:assert/strict';
import { Jobs } from '../../src/picture/jobs.js';
import { retryDelayMs } from '../../src/picture/attempt.js';
import { Streams } from '../../src/chat/streams.js';
import { retryTag } from '../../src/features/redraw.js';
import { identify, locate } from '../../src/picture/identity.js';
import { imageMarkup, placePicture } from '../../src/format/pictures.js';
import { setLogLevel } from '../../src/log.js';

setLogLevel('SILENT');

/**
 * Jobs over a one-chat world whose chat is `chat`; `open` names the chat shown.
 * @param {(prompt: string, signal: AbortSignal) => Promise<string>} draw
 * @param {Record<string, any>} [overrides]
 */
function world(draw, overrides = {}) {
    const settings = /** @type {any} */ ({ maxConcurrent: 2, minIntervalMs: 0, timeoutSeconds: 5, generateWhileStreaming: true, retries: 2, ...overrides });
    /** @type {any[]} */
    const chat = [];
    const state = { open: 'A' };
    /** @type {Array<{prompt: string, src: string, replaceSrc?: string, chatId: string}>} */
    const committed = [];
    /** @type {string[]} */
    const failed = [];
    const p = new Jobs({
        settings: () => settings,
        chatId: () => state.open,
        draw: (sent, signal) => draw(sent.prompt, signal),
        indexOf: (m) => chat.indexOf(m),
        retryDelayMs: () => 1,
        failed: (job) => failed.push(job.prompt),
        deliver: async (job) => {
            committed.push({ prompt: job.prompt, src: /** @type {string} */ (job.src), replaceSrc: job.replaceSrc, chatId: job.chatId });
            return 'written';
        },
        changed: () => {},
        moving: (message) => streams.has(message),
    });
    const streams = new Streams({ jobs: p, settings: () => settings });
    return { p, streams, chat, state, committed, failed };
}

/**
 * A source whose first `n` draws throw `makeError()`, then draw; `calls()` counts the draws.
 * @param {number} n @param {() => Error} makeError
 */
function failingFirst(n, makeError) {
    let calls = 0;
    const draw = async (/** @type {string} */ prompt) => {
        calls++;
        if (calls <= n) throw makeError();
        return `/img/${prompt}.png`;
    };
    return { draw, calls: () => calls };
}

const settled = (/** @type {Jobs} */ p) => Promise.all([...p.jobs].map((j) => j.done));
async function allDone(/** @type {Jobs} */ p) {
    for (let i = 0; i < 50 && !p.idle; i++) {
        await settled(p);
        await new Promise((r) => setTimeout(r, 2));
    }
}

test('the retry delay grows and is capped at 30 s', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map(retryDelayMs), [1500, 3000, 6000, 12000, 24000]);
    assert.equal(retryDelayMs(9), 30000);
});

test('a picture whose first two attempts fail is drawn on the third, each attempt a real draw', async () => {
    const source = failingFirst(2, () => new Error('backend 500'));
    const { p, streams, chat, committed } = world(source.draw);
    const message = { mes: 'A <img-prompt="fox">', swipe_id: 0 };
    chat.push(message);
    streams.finished(message);
    await allDone(p);
    assert.equal(source.calls(), 3);
    assert.deepEqual(committed.map((c) => c.prompt), ['fox']);
});

test('after the last retry the job fails with its reason, and the failure is reported once', async () => {
    let calls = 0;
    const { p, streams, chat, failed } = world(async () => {
        calls++;
        throw new Error('backend 500');
    }, { retries: 1 });
    const message = { mes: '<img-prompt="fox">', swipe_id: 0 };
    chat.push(message);
    streams.finished(message);
    await allDone(p);
    const [job] = p.jobs;
    assert.equal(calls, 2);
    assert.equal(job.status, 'failed');
    assert.equal(job.error, 'backend 500');
    assert.deepEqual(failed, ['fox']);
    assert.equal(p.idle, true, 'a failed job only shows its box');
});

test('a permanent error (no Image Generation) is not retried', async () => {
    let calls = 0;
    const { p, streams, chat } = world(async () => {
        calls++;
        throw Object.assign(new Error('not available'), { permanent: true });
    });
    const message = { mes: '<img-prompt="fox">', swipe_id: 0 };
    chat.push(message);
    streams.finished(message);
    await allDone(p);
    assert.equal(calls, 1);
});

test('no retry once the message is deleted or its swipe is no longer shown', async () => {
    let calls = 0;
    const { p, streams, chat } = world(async () => {
        calls++;
        throw new Error('backend 500');
    });
    const deleted = { mes: '<img-prompt="gone">', swipe_id: 0 };
    const swiped = { mes: '<img-prompt="swiped">', swipe_id: 0, swipes: ['<img-prompt="swiped">', 'other'] };
    chat.push(deleted, swiped);
    streams.finished(deleted);
    streams.finished(swiped);
    chat.splice(0, 1);
    swiped.swipe_id = 1;
    await allDone(p);
    assert.equal(calls, 2, 'each drew once');
    assert.deepEqual([...p.jobs].map((j) => j.status), ['failed', 'failed']);
});

test('a job whose chat was closed keeps going, retries included, and hands its picture over', async () => {
    let calls = 0;
    const { p, streams, chat, state, committed } = world(async (prompt) => {
        calls++;
        if (calls === 1) throw new Error('backend 500');
        return `/img/${prompt}.png`;
    });
    const message = { mes: '<img-prompt="fox">', swipe_id: 0 };
    chat.push(message);
    streams.finished(message);
    state.open = 'B';
    chat.length = 0;
    p.dropOrphans(chat, 'message deleted');
    await allDone(p);
    assert.deepEqual(committed, [{ prompt: 'fox', src: '/img/fox.png', replaceSrc: undefined, chatId: 'A' }]);
});

test('reopening a chat points its running jobs at the new message objects, or drops them', () => {
    const { p, streams, chat, state } = world(() => new Promise(() => {}));
    const kept = { mes: '<img-prompt="kept">', swipe_id: 0, send_date: 'd1', name: 'S' };
    const lost = { mes: '<img-prompt="lost">', swipe_id: 0, send_date: 'd2', name: 'S' };
    chat.push(kept, lost);
    streams.finished(kept);
    streams.finished(lost);
    state.open = 'B';
    chat.length = 0;
    state.open = 'A';
    const reloaded = { ...kept };
    chat.push(reloaded);
    p.chatOpened(chat);
    const jobs = [...p.jobs];
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0].message, reloaded);
    for (const j of jobs) p.drop(j, 'test over');
});

test('a picture that failed in a chat left and reopened shows failed again on the new message', async () => {
    const { p, streams, chat, state } = world(async () => { throw new Error('backend 500'); }, { retries: 0 });
    const message = { mes: '<img-prompt="owl">', swipe_id: 1, swipe_info: [{ send_date: 'd0' }, { send_date: 'd1' }], name: 'S' };
    chat.push(message);
    streams.finished(message);
    await allDone(p);
    state.open = 'B';
    chat.length = 0;
    state.open = 'A';
    const reloaded = structuredClone(message);
    chat.push(reloaded);
    const found = p.chatOpened(chat);
    // SillyTavern rendered the reopened chat before this: the caller must refresh these.
    assert.deepEqual([...found], [reloaded]);
    assert.equal(p.statesFor(reloaded)?.get(0)?.status, 'failed');
    assert.equal(p.statesFor(reloaded)?.get(0)?.error, 'backend 500');
});

test('two pictures saved under one name are both drawn again, one after the other', async () => {
    let n = 0;
    /** @type {string[]} */
    const events = [];
    const { p, streams, chat, committed } = world(async (prompt) => {
        const k = ++n;
        events.push(`start ${prompt} ${k}`);
        await new Promise((r) => setTimeout(r, 5));
        events.push(`saved ${prompt} ${k}`);
        // The first two answers collide on one file name (SillyTavern may have written a mix of
        // both into it); later ones get their own.
        return k <= 2 ? '/img/same.png' : `/img/${prompt}-${k}.png`;
    });
    const message = { mes: '<img-prompt="one"> <img-prompt="two">', swipe_id: 0 };
    chat.push(message);
    streams.finished(message);
    await allDone(p);
    const last = Object.fromEntries(committed.map((c) => [c.prompt, c]));
    assert.equal(last.one.src, '/img/one-3.png');
    assert.equal(last.two.src, '/img/two-4.png');
    assert.equal(n, 4, 'each drawn again once');
    // The newer one is drawn again only after the older one's redraw was saved.
    assert.ok(events.indexOf('saved one 3') < events.indexOf('start two 4'), events.join(', '));
    assert.ok(!committed.some((c) => c.prompt === 'two' && c.src === '/img/same.png'), 'the newer one never shows the shared file');
});

test('a path that keeps colliding is redrawn at most twice per tag', async () => {
    const { p, streams, chat, committed } = world(async () => '/img/always.png', { maxConcurrent: 1 });
    const message = { mes: '<img-prompt="one"> <img-prompt="two">', swipe_id: 0 };
    chat.push(message);
    streams.finished(message);
    await allDone(p);
    // Each tag: its first picture and at most two redraws.
    assert.ok(committed.length <= 6, `${committed.length} commits`);
    assert.equal(p.jobs.size, 0);
});

test('identity: found at its index, after a shift, and never a different message', () => {
    const a = { send_date: 't1', name: 'Sera', is_user: false, mes: 'a' };
    const b = { send_date: 't2', name: 'Sera', is_user: false, mes: 'b' };
    const user = { send_date: 't2', name: 'You', is_user: true, mes: 'u' };
    const id = identify(b, 1);
    assert.equal(locate([a, b], id), 1);
    assert.equal(locate([b], id), 0, 'a message above it was deleted');
    assert.equal(locate([a, user], id), -1, 'same date, other speaker');
    assert.equal(locate([a, { ...b, send_date: 't3' }], id), -1, 'same place, other message');
    assert.equal(locate([b, { ...b }], id, (m) => m !== b), 1, 'the check picks among look-alikes');
    assert.equal(locate([{ name: 'Sera' }], identify({ name: 'Sera' }, 3)), -1, 'no date: only the same index counts');
});

test('identity of a swipe uses that swipe\'s own date, whichever swipe is shown', () => {
    const message = { send_date: 'shown', name: 'S', swipe_id: 1, swipe_info: [{ send_date: 'first' }, { send_date: 'shown' }] };
    const id = identify(message, 0, 0);
    assert.equal(id.sendDate, 'first');
    assert.equal(locate([{ ...message, swipe_id: 0, send_date: 'first' }], id), 0);
});

test('placePicture puts the picture after its own tag, once', () => {
    const text = 'A <img-prompt="fox"> B <img-prompt="owl"> C';
    const first = placePicture(text, { ordinal: 1, prompt: 'owl', src: '/o.png' });
    assert.equal(first.status, 'inserted');
    assert.equal(first.text, `A <img-prompt="fox"> B <img-prompt="owl">${imageMarkup({ src: '/o.png', prompt: 'owl' })} C`);
    assert.equal(placePicture(first.text, { ordinal: 1, prompt: 'owl', src: '/o.png' }).status, 'already');
    assert.equal(placePicture('A tag the user deleted.', { ordinal: 0, prompt: 'owl', src: '/o.png' }).status, 'missing');
});

test('placePicture replaces only the picture whose file was overwritten', () => {
    const old = imageMarkup({ src: '/same.png', prompt: 'fox' });
    const text = `<img-prompt="fox">${old} <img-prompt="owl">${imageMarkup({ src: '/owl.png', prompt: 'owl' })}`;
    const result = placePicture(text, { ordinal: 0, prompt: 'fox', src: '/new.png', replaceSrc: '/same.png' });
    assert.equal(result.status, 'replaced');
    assert.ok(result.text.includes('/new.png') && !result.text.includes('/same.png') && result.text.includes('/owl.png'));
    // The user replaced it by hand meanwhile: leave theirs alone.
    const mine = `<img-prompt="fox">${imageMarkup({ src: '/hand.png', prompt: 'fox' })}`;
    assert.equal(placePicture(mine, { ordinal: 0, prompt: 'fox', src: '/new.png', replaceSrc: '/same.png' }).status, 'already');
});

test('identity: a message whose date changed is still found by its content, if only one fits', () => {
    const left = { send_date: 'streaming', name: 'Sera', mes: '<img-prompt="fox">' };
    const id = identify(left, 2);
    const saved = { ...left, send_date: 'finished' };
    const holdsFox = (/** @type {any} */ m) => m.mes.includes('"fox"');
    const other = { send_date: 'x', name: 'Sera', mes: 'no tag' };
    assert.equal(locate([other, other, saved], id, holdsFox), 2, 'same place, same speaker, holds the tag');
    assert.equal(locate([saved, other, other], id, holdsFox), 0, 'moved, and the only one that holds it');
    assert.equal(locate([saved, other, { ...saved }], { ...id, index: 1 }, holdsFox), -1, 'two candidates: none');
    assert.equal(locate([other, other, saved], id), -1, 'without a content check, dates must match');
    assert.equal(locate([{ ...saved, name: 'You', is_user: true }], { ...id, index: 0 }, holdsFox), -1, 'never another speaker');
});

test('a picture Image Generation discarded on a chat switch is drawn again without using an attempt', async () => {
    const source = failingFirst(2, () => Object.assign(new Error('discarded'), { chatChanged: true }));
    const { p, streams, chat, committed } = world(source.draw, { retries: 0 });
    const message = { mes: '<img-prompt="fox">', swipe_id: 0 };
    chat.push(message);
    streams.finished(message);
    await allDone(p);
    assert.equal(source.calls(), 3);
    assert.deepEqual(committed.map((c) => c.prompt), ['fox']);
});

test('max pictures per reply: tags past it wait for a click, and a click draws that one', async () => {
    const drawn = [];
    const { p, streams, chat } = world(async (prompt) => { drawn.push(prompt); return `/img/${prompt}.png`; }, { maxPerReply: 2 });
    const message = { mes: '<img-prompt="a"> <img-prompt="b"> <img-prompt="c"> <img-prompt="d">', swipe_id: 0 };
    chat.push(message);
    streams.started(message, 0, '');
    streams.text(message, message.mes);
    streams.finished(message);
    await allDone(p);
    assert.deepEqual(drawn.sort(), ['a', 'b']);
    const states = p.statesFor(message);
    assert.equal(states?.get(2)?.status, 'over');
    assert.equal(states?.get(3)?.status, 'over');
    const job = retryTag(p, message, 3);
    assert.equal(job?.prompt, 'd');
    await allDone(p);
    assert.deepEqual(drawn.sort(), ['a', 'b', 'd']);
});

test('the paths remembered to spot a shared file are bounded, however many pictures come', async () => {
    let n = 0;
    const { p, streams, chat } = world(async () => `/img/${++n}.png`);
    const message = { mes: Array.from({ length: 260 }, (_, i) => `<img-prompt="p${i}">`).join(' '), swipe_id: 0 };
    chat.push(message);
    streams.finished(message);
    await allDone(p);
    assert.equal(n, 260);
    assert.ok(p.files.paths.size <= 200, `${p.files.paths.size} paths held`);
    assert.ok(p.files.paths.has('/img/260.png'), 'the newest are the ones kept');
});
