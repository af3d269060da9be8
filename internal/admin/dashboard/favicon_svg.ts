/**
 * The dashboard's icon (`GET /favicon.svg`): a sluice gate over flowing water.
 *
 * @module
 */

/** The favicon, served as `image/svg+xml`. */
export const FAVICON_SVG: string = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="6" fill="#121a26"/>
<rect x="4" y="5" width="4" height="22" rx="1" fill="#9aa7b8"/>
<rect x="24" y="5" width="4" height="22" rx="1" fill="#9aa7b8"/>
<rect x="10" y="7" width="12" height="10" rx="1" fill="#6aa0ff"/>
<path d="M8 23c2.7-2 5.3 2 8 0s5.3-2 8 0" fill="none" stroke="#6aa0ff" stroke-width="2.2" stroke-linecap="round"/>
</svg>
`;
