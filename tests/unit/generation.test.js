import test from 'node:test';
import assert from 'node:assert/strict';
import { GenerationTracker } from '../../src/chat/generation.js';

test('a normal generation gets the meta-prompt once', () => {
    const t = new GenerationTracker();
    t.started('normal', false);
    assert.equal(t.claimInjection(false), true);
    assert.equal(t.claimInjection(false), false, 'a second prompt in the same generation (generateRaw) is not ours');
});

test('regenerate, swipe and continue are read by the user', () => {
    for (const type of ['regenerate', 'swipe', 'continue']) {
        const t = new GenerationTracker();
        t.started(type, false);
        assert.equal(t.claimInjection(false), true, type);
    }
});

test('quiet and impersonate generations are not', () => {
    for (const type of ['quiet', 'impersonate']) {
        const t = new GenerationTracker();
        t.started(type, false);
        assert.equal(t.claimInjection(false), false, type);
    }
});

test('dry runs neither inject nor replace the generation under way', () => {
    const t = new GenerationTracker();
    t.started('normal', false);
    t.started('normal', true); // token counting fires mid-generation and never ends
    assert.equal(t.claimInjection(true), false);
    assert.equal(t.current?.type, 'normal');
    assert.equal(t.claimInjection(false), true);
});

test('outside any generation (generateRaw from another extension) nothing is injected', () => {
    const t = new GenerationTracker();
    assert.equal(t.claimInjection(false), false);
    t.started('normal', false);
    t.ended();
    assert.equal(t.claimInjection(false), false);
});

test('text-completion interceptor types', () => {
    assert.equal(GenerationTracker.isReadByUser('normal'), true);
    assert.equal(GenerationTracker.isReadByUser(''), true);
    assert.equal(GenerationTracker.isReadByUser('quiet'), false);
    assert.equal(GenerationTracker.isReadByUser('impersonate'), false);
});
