// @ts-check
/**
 * The count in a message's header while its pictures are drawn ("drawing 2 of 4"), gone when
 * they are done. It lives beside the name and time, which SillyTavern does not re-render
 * when it updates the message's text.
 */
import { t } from '../st.js';
import { drawingProgress } from '../format/chat-pictures.js';

const CLASS = 'iig-progress';

/**
 * @param {number} index the message's place in the chat
 * @param {string} text the message as shown
 * @param {Map<number, {status: string}> | null} states
 */
export function showProgress(index, text, states) {
    const block = document.querySelector(`#chat .mes[mesid="${index}"]`);
    if (!block) return;
    const progress = drawingProgress(text, states);
    let badge = block.querySelector(`.${CLASS}`);
    if (!progress) {
        badge?.remove();
        return;
    }
    if (!badge) {
        badge = document.createElement('small');
        badge.className = CLASS;
        badge.setAttribute('aria-live', 'polite');
        const where = block.querySelector('.ch_name .timestamp');
        if (where) where.after(badge);
        else block.querySelector('.ch_name')?.append(badge);
    }
    badge.textContent = t`drawing picture ${progress.current} of ${progress.total}`;
}

