import test from 'node:test';
import assert from 'node:assert/strict';
import { findMessage, readRecord, recordOf } from '../../src/picture/record.js';
import { identify } from '../../src/picture/identity.js';

/** A record as version 1.2.0 kept it in `extensionSettings.inlineImagesHeld`. */
const OLD = {
    chatId: 'Sera - 1', identity: { index: 3, swipeId: 1, sendDate: 'd1', name: 'Sera', isUser: false },
    swipeId: 1, ordinal: 0, prompt: 'a fox', src: '/user/images/fox.png', at: 1_700_000_000_000,
    sent: 'a fox, Sera: silver hair',
};

test('a record kept by version 1.2.0 (sent as text) still loads, with no seed', () => {
    const record = readRecord(OLD);
    assert.deepEqual(record?.sent, { prompt: 'a fox, Sera: silver hair', seed: null });
    assert.deepEqual(record?.identity, OLD.identity);
    assert.equal(record?.src, OLD.src);
    assert.equal(readRecord({ ...OLD, sent: undefined })?.sent, undefined, 'nothing added: nothing sent');
});

test('a job\'s record is the same shape that is kept, and reads back unchanged', () => {
    const message = { mes: '<img-prompt="a fox">', swipe_id: 0, send_date: 'd2', name: 'Sera' };
    const job = {
        chatId: 'A', message, swipeId: 0, ordinal: 0, prompt: 'a fox', identity: identify(message, 7, 0),
        sent: { prompt: 'a fox, silver hair', seed: 42 }, src: '/f.png', status: 'ready',
    };
    const kept = { ...recordOf(/** @type {any} */ (job), 2), at: 5 };
    assert.equal(kept.identity.index, 2, 'where the message is now');
    assert.deepEqual(readRecord(JSON.parse(JSON.stringify(kept))), kept);
    assert.equal(recordOf(/** @type {any} */ (job), -1).identity.index, 7, 'not in the open chat: where it was');
});

test('a record keeps the negative and the size that were sent, and only sane ones', () => {
    const message = { mes: '<img-prompt="a fox" shape="portrait">', swipe_id: 0, send_date: 'd2', name: 'Sera' };
    const job = {
        chatId: 'A', message, swipeId: 0, ordinal: 0, prompt: 'a fox', identity: identify(message, 0, 0),
        sent: { prompt: 'a fox', seed: null, negative: 'blurry', width: 448, height: 640 }, src: '/f.png', status: 'ready',
    };
    const kept = { ...recordOf(/** @type {any} */ (job), 0), at: 5 };
    assert.deepEqual(kept.sent, { prompt: 'a fox', seed: null, negative: 'blurry', width: 448, height: 640 });
    assert.deepEqual(readRecord(JSON.parse(JSON.stringify(kept)))?.sent, kept.sent);
    const odd = { ...kept, sent: { prompt: 'a fox', seed: null, negative: 3, width: -1, height: '640' } };
    assert.deepEqual(readRecord(odd)?.sent, { prompt: 'a fox', seed: null });
});

test('records that cannot be read are refused, not guessed', () => {
    for (const broken of [null, 'x', { ...OLD, src: 3 }, { ...OLD, identity: null }, { ...OLD, ordinal: 1.5 }, { ...OLD, sent: 7 }, { ...OLD, at: 'now' }]) {
        assert.equal(readRecord(broken), null, JSON.stringify(broken));
    }
});

test('a record finds its message in a reopened chat: same message, still holding the tag', () => {
    const record = readRecord(OLD);
    const message = { mes: 'x', swipe_id: 0, swipes: ['x', 'A <img-prompt="a fox">'], swipe_info: [{ send_date: 'd0' }, { send_date: 'd1' }], name: 'Sera' };
    const other = { mes: 'y', send_date: 'd1', name: 'Sera' };
    assert.equal(findMessage([other, message], /** @type {any} */ (record)), message, 'found after a shift, by its swipe');
    assert.equal(findMessage([other], /** @type {any} */ (record)), null);
    const edited = { ...message, swipes: ['x', 'the tag was deleted'] };
    assert.equal(findMessage([edited], /** @type {any} */ (record)), null, 'no tag, no message');
});
