/**
 * Names inside our sentences: a name may carry right-to-left text or bidi controls (an unclosed
 * RIGHT-TO-LEFT OVERRIDE would reverse the rest of the sentence). In markup the name goes in a
 * <bdi>; in a string shown as text (a notice, a status) it is wrapped in FIRST STRONG ISOLATE … POP
 * DIRECTIONAL ISOLATE, which closes whatever the name opened (Unicode UAX #9, X6a). Accessible
 * names (aria-label) are spoken, not laid out, and stay plain so they can be searched.
 */
export const isolate = (s: string): string => `\u2068${s}\u2069`;
