// The residency panel's HTML, apart from the panel so the standalone webview test
// (test/webview) serves exactly the page VS Code shows. No vscode import here.

export interface ResidencyHtmlParts {
	/** webview.cspSource: the origin the script and style are served from. */
	cspSource: string;
	/** Fresh per page load; only scripts carrying it may run. */
	nonce: string;
	scriptUri: string;
	styleUri: string;
}

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function residencyHtml(p: ResidencyHtmlParts): string {
	// Strict CSP: nothing but our own bundle and stylesheet, no inline script or style (the page
	// sets geometry through the CSSOM, which CSP allows), no network.
	const csp = [
		"default-src 'none'",
		`style-src ${p.cspSource}`,
		`img-src ${p.cspSource} data:`,
		`font-src ${p.cspSource}`,
		`script-src 'nonce-${p.nonce}'`,
	].join('; ');
	return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(p.styleUri)}">
<title>Page Residency</title>
</head>
<body>
<header class="toolbar">
	<label for="process">Process</label>
	<select id="process" aria-label="Process"></select>
	<label for="layer">View</label>
	<select id="layer" aria-label="Whose view of the pages" title="Where the pages are (CPU), or what one device maps"></select>
	<button id="back" title="Previous zoom (Alt+Left)" aria-label="Previous zoom" disabled>◀</button>
	<button id="forward" title="Next zoom (Alt+Right)" aria-label="Next zoom" disabled>▶</button>
	<button id="reset" title="Show the whole mapped span" disabled>Whole span</button>
	<span id="range"></span>
</header>
<div id="status" role="status">Waiting for an HMM debug session to stop…</div>
<div id="gauges" aria-label="Device memory"></div>
<div id="bands" aria-label="VMAs"></div>
<div id="map">
	<div id="axis" aria-hidden="true"></div>
	<div id="grid-wrap">
		<div id="top-axis" aria-hidden="true"></div>
		<div id="grid-box"><canvas id="grid" role="img" width="0" height="0"></canvas><div id="selection" hidden></div></div>
	</div>
</div>
<ul id="legend" aria-label="Legend"></ul>
<div id="key" aria-label="Marks"></div>
<div id="watches" aria-label="Page watches" hidden></div>
<div id="timeline-box" hidden>
	<div class="caption">Timeline <span id="timeline-range"></span> <span class="hint">click an event to travel to it</span></div>
	<canvas id="timeline" role="img" aria-label="Timeline of events over simulated time"></canvas>
</div>
<div id="tooltip" role="tooltip" hidden></div>
<div id="menu" role="menu" hidden>
	<button role="menuitem" data-action="reveal">Reveal in Watch</button>
	<button role="menuitem" data-action="evaluate">Evaluate in Debug Console</button>
	<button role="menuitem" data-action="watchWrite">Break on write to this page</button>
	<button role="menuitem" data-action="watchAccess">Break on any access to this page</button>
	<button role="menuitem" data-action="unwatch" id="unwatch" hidden>Remove this page watch</button>
</div>
<script nonce="${escapeAttr(p.nonce)}" src="${escapeAttr(p.scriptUri)}"></script>
</body>
</html>`;
}
