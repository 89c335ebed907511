import test from 'node:test';
import assert from 'node:assert/strict';
import { setLogLevel } from '../../src/log.js';

setLogLevel('SILENT');

/** A SillyTavern with one open chat whose messages can be replaced, as a reload does. */
function stage() {
    const state = { chatId: 'A', chat: /** @type {any[]} */ ([]), settings: /** @type {any} */ ({}) };
    /** @type {any} */ (globalThis).document = { querySelector: () => null, getElementById: () => null };
    /** @type {any} */ (globalThis).SillyTavern = {
        getContext: () => ({
            getCurrentChatId: () => state.chatId, chat: state.chat,
            extensionSettings: state.settings, saveSettingsDebounced: () => {},
        }),
    };
    return state;
}

const { FailedPictures } = await import('../../src/picture/failed.js');
const { Jobs } = await import('../../src/picture/jobs.js');
const { markChatLoaded } = await import('../../src/chat/open-chat.js');
const { retryTag } = await import('../../src/features/redraw.js');

/** Jobs over the stage's chat whose source fails `failing` times, then draws. @param {any} state @param {any} failed @param {number} failing */
function jobsOf(state, failed, failing) {
    let calls = 0;
    return new Jobs({
        settings: () => /** @type {any} */ ({ maxConcurrent: 1, minIntervalMs: 0, timeoutSeconds: 5, retries: 0 }),
        chatId: () => state.chatId,
        draw: async ({ prompt }) => {
            if (++calls <= failing) throw new Error('backend 500');
            return `/img/${prompt}.png`;
        },
        deliver: async () => 'written',
        changed: () => {},
        indexOf: (m) => state.chat.indexOf(m),
        failed: (job) => failed.remember(job),
        forgetFailed: (job) => failed.forget(job),
    });
}

const reply = () => ({ mes: 'A <img-prompt="owl"> B', swipe_id: 0, swipes: ['A <img-prompt="owl"> B'], send_date: 'd1', name: 'S' });

test('a picture that failed for good shows its failed box again after a reload, and a click draws it', async () => {
    const state = stage();
    const before = reply();
    state.chat.push({ mes: 'hi', is_user: true, name: 'U', send_date: 'd0' }, before);
    markChatLoaded();
    const failed = new FailedPictures();
    const jobs = jobsOf(state, failed, 1);
    jobs.drawMessage(before);
    await Promise.all([...jobs.jobs].map((j) => j.done));
    assert.equal([...jobs.jobs][0].status, 'failed');
    assert.equal(state.settings.inlineImagesFailed.length, 1, 'kept in the settings');
    // The reload: new objects, a new extension instance reading the settings back.
    state.chat.length = 0;
    const after = reply();
    state.chat.push({ mes: 'hi', is_user: true, name: 'U', send_date: 'd0' }, after);
    const reloaded = new FailedPictures();
    reloaded.load();
    const fresh = jobsOf(state, reloaded, 0);
    assert.deepEqual(reloaded.restore(fresh), [after]);
    const state0 = fresh.statesFor(after)?.get(0);
    assert.equal(state0?.status, 'failed');
    assert.equal(state0?.error, 'backend 500');
    assert.deepEqual(reloaded.restore(fresh), [], 'restored once');
    // The click: drawn, and the record forgotten.
    const job = retryTag(fresh, after, 0);
    assert.ok(job);
    await job.done;
    assert.equal(state.settings.inlineImagesFailed.length, 0);
});

test('a failed record whose tag was drawn or deleted meanwhile shows nothing and goes', () => {
    const state = stage();
    state.settings.inlineImagesFailed = [
        { chatId: 'A', identity: { index: 0, swipeId: 0, sendDate: 'd1', name: 'S', isUser: false }, swipeId: 0, ordinal: 0,
            prompt: 'owl', at: Date.now(), failure: { error: 'backend 500', attempts: 3 } },
        { chatId: 'A', identity: { index: 1, swipeId: 0, sendDate: 'd2', name: 'S', isUser: false }, swipeId: 0, ordinal: 0,
            prompt: 'fox', at: Date.now(), failure: { error: 'backend 500', attempts: 3 } },
        { chatId: 'A', broken: true },
    ];
    state.chat.push({ mes: 'A <img-prompt="owl"><img data-iig="1" src="/o.png" title="owl" alt="owl"> B', swipe_id: 0, send_date: 'd1', name: 'S' },
        { mes: 'The tag was edited out.', swipe_id: 0, send_date: 'd2', name: 'S' });
    markChatLoaded();
    const failed = new FailedPictures();
    failed.load();
    assert.equal(failed.records.length, 2, 'the unreadable one is dropped');
    assert.deepEqual(failed.restore(jobsOf(state, failed, 0)), []);
    assert.deepEqual(state.settings.inlineImagesFailed, []);
});
