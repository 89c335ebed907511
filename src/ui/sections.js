// @ts-check
/**
 * The drawer's collapsible sections (Basics open at first, the rest closed). Each remembers
 * whether the user left it open, in this browser.
 */

const STORE = 'inline-images-open-sections';

/** @returns {Record<string, boolean>} */
function load() {
    try {
        const saved = JSON.parse(localStorage.getItem(STORE) ?? '{}');
        return saved && typeof saved === 'object' && !Array.isArray(saved) ? saved : {};
    } catch {
        return {};
    }
}

/** @param {ParentNode} root */
export function bindSections(root) {
    const saved = load();
    for (const section of root.querySelectorAll('details.iig-group[data-iig-group]')) {
        if (!(section instanceof HTMLDetailsElement)) continue;
        const name = String(section.dataset.iigGroup);
        if (typeof saved[name] === 'boolean') section.open = saved[name];
        section.addEventListener('toggle', () => {
            const now = load();
            now[name] = section.open;
            try {
                localStorage.setItem(STORE, JSON.stringify(now));
            } catch { /* storage full or off: it opens as at first next time */ }
        });
    }
}
