import test from 'node:test';
import assert from 'node:assert/strict';
import { Jobs } from '../../src/picture/jobs.js';
import { Streams } from '../../src/chat/streams.js';
import { setLogLevel } from '../../src/log.js';

setLogLevel('SILENT');

/**
 * Jobs whose image source is `draw`, and the streams that feed them; deliveries are recorded, not written.
 * @param {(prompt: string, signal: AbortSignal) => Promise<string>} draw
 * @param {Partial<import('../../src/types').Settings>} [overrides]
 */
function pictures(draw, overrides = {}) {
    const settings = /** @type {any} */ ({
        maxConcurrent: 1, minIntervalMs: 0, timeoutSeconds: 0.05, generateWhileStreaming: true, ...overrides,
    });
    /** @type {string[]} */
    const committed = [];
    const p = new Jobs({
        settings: () => settings,
        chatId: () => 'chat',
        draw: (sent, signal) => draw(sent.prompt, signal),
        deliver: async (job) => {
            committed.push(job.prompt);
            return 'written';
        },
        changed: () => {},
        moving: (message) => streams.has(message),
    });
    const streams = new Streams({ jobs: p, settings: () => settings });
    return { p, streams, committed };
}

/**
 * Jobs whose source draws every prompt at once, recording the order they started in.
 * @param {Partial<import('../../src/types').Settings>} overrides
 */
function instantPictures(overrides) {
    /** @type {string[]} */
    const started = [];
    const made = pictures(async (prompt) => {
        started.push(prompt);
        return `/img/${prompt}.png`;
    }, overrides);
    return { ...made, started };
}

test('a source that ignores the abort still times out, and frees its slot for the next image', async () => {
    /** @type {string[]} */
    const started = [];
    const { p, streams, committed } = pictures((prompt) => {
        started.push(prompt);
        // The first never settles, whatever the signal says; the second draws at once.
        return prompt === 'hangs' ? new Promise(() => {}) : Promise.resolve(`/img/${prompt}.png`);
    });
    const message = { mes: '<img-prompt="hangs"> then <img-prompt="draws">', swipe_id: 0 };
    streams.finished(message);
    const jobs = [...p.jobs];
    assert.equal(jobs.length, 2);
    await Promise.all(jobs.map((j) => j.done));
    assert.deepEqual(started, ['hangs', 'draws']);
    assert.equal(jobs[0].status, 'failed');
    assert.match(jobs[0].error ?? '', /timed out after 0\.05 s/);
    assert.equal(jobs[1].status, 'committed');
    assert.deepEqual(committed, ['draws']);
});

test('a source that honours the abort reports the timeout, not its own abort error', async () => {
    const { p, streams } = pictures((_prompt, signal) => new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(new Error('Aborted by user')), { once: true });
    }));
    const message = { mes: '<img-prompt="slow">', swipe_id: 0 };
    streams.finished(message);
    const [job] = p.jobs;
    await job.done;
    assert.equal(job.status, 'failed');
    assert.match(job.error ?? '', /timed out/);
});

test('an image that arrives in time is committed and its timer does not fire later', async () => {
    const { p, streams, committed } = pictures(async (prompt) => `/img/${prompt}.png`, { timeoutSeconds: 0.02 });
    const message = { mes: '<img-prompt="quick">', swipe_id: 0 };
    streams.finished(message);
    const [job] = p.jobs;
    await job.done;
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(job.status, 'committed');
    assert.equal(job.controller.signal.aborted, false);
    assert.deepEqual(committed, ['quick']);
});

test('while streaming, a tag starts its image the moment it is complete, and only then', async () => {
    const { p, streams, started } = instantPictures({ timeoutSeconds: 5, maxConcurrent: 5 });
    const message = { mes: '', swipe_id: 0 };
    streams.started(message, 0, '');
    streams.text(message, 'Once <img-prompt="a fo');
    assert.deepEqual(started, []);
    streams.text(message, 'Once <img-prompt="a fox"');
    assert.deepEqual(started, [], 'no closing > yet');
    streams.text(message, 'Once <img-prompt="a fox"> ran');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, ['a fox']);
});

test('with "generate while streaming" off, images start when the reply ends', async () => {
    const { p, streams, committed, started } = instantPictures({ timeoutSeconds: 5, generateWhileStreaming: false });
    const message = { mes: '', swipe_id: 0 };
    streams.started(message, 0, '');
    streams.text(message, 'Once <img-prompt="a fox"> ran');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, []);
    message.mes = 'Once <img-prompt="a fox"> ran';
    streams.finished(message);
    await Promise.all([...p.jobs].map((j) => j.done));
    assert.deepEqual(started, ['a fox']);
    assert.deepEqual(committed, ['a fox']);
});

test('a continued stream numbers its tags after the ones already in the message', () => {
    const { p, streams } = pictures(() => new Promise(() => {}), { timeoutSeconds: 5, maxConcurrent: 5 });
    const message = { mes: '', swipe_id: 0 };
    streams.started(message, 0, 'Before <img-prompt="one"> and <img-prompt="two">.');
    streams.text(message, ' More <img-prompt="three">');
    const [job] = p.jobs;
    assert.equal(job.ordinal, 2);
    assert.equal(job.prompt, 'three');
    for (const j of p.jobs) p.drop(j, 'test over');
});

test('settle commits finished images without starting new ones (extension turned off mid-reply)', async () => {
    const { p, streams, committed, started } = instantPictures({ timeoutSeconds: 5, maxConcurrent: 5 });
    const message = { mes: '', swipe_id: 0 };
    streams.started(message, 0, '');
    streams.text(message, 'A <img-prompt="drawn">');
    const [job] = p.jobs;
    await job.done; // ready, but held back while the text still moves
    assert.deepEqual(committed, []);
    message.mes = 'A <img-prompt="drawn"> B <img-prompt="never started">';
    streams.settle(message);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(committed, ['drawn']);
    assert.deepEqual(started, ['drawn']);
});
