/**
 * The guide's commands on a login host, rendered as text: `ie-help` (a section for the terminal in the
 * user's language), the login summary (the user's containers, rental VMs and jobs) and the profile.d stub
 * that runs it for interactive logins only. Pure: facts in, bash out.
 */
import { STATUS_DIR } from "../../ie-podman/status";
import type { GuideFacts } from "./facts";

/** Where the guide lives on a host; `ie-help` and the login summary read only below it. */
export const GUIDE_DIR = "/usr/share/doc/ie-guide";
export const IE_HELP_PATH = "/usr/local/bin/ie-help";
export const LOGIN_SUMMARY_PATH = "/usr/local/lib/ie-guide/login-summary";
export const PROFILE_PATH = "/etc/profile.d/ie-guide.sh";
/** Containers the reaper takes within this many days are listed apart at login. */
export const WARN_DAYS = 2;

const sq = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * `ie-help [TOPIC]`: the section of `GUIDE_DIR/LANG/guide.md` that follows the marker `<!-- ie-help: TOPIC -->`,
 * as terminal text (code blocks indented without their fences and test markers, emphasis stars dropped), in
 * ja or en. The topics are the markers the guide has, so a stack without Slurm has no `slurm` topic.
 */
export function renderIeHelp(): string {
  return `#!/bin/bash
# ie-help [TOPIC]: prints a section of the department's users' guide (managed by ie-infra).
# Japanese when the locale (LC_ALL, LC_MESSAGES or LANG, the first one set) starts with ja, else English.
# Without TOPIC: the topics and where the whole guide is. IE_GUIDE_DIR overrides the guide's directory.
set -euo pipefail
dir=\${IE_GUIDE_DIR:-${GUIDE_DIR}}
case "\${LC_ALL:-\${LC_MESSAGES:-\${LANG:-}}}" in ja*) lang=ja ;; *) lang=en ;; esac
guide="$dir/$lang/guide.md"
if [ ! -r "$guide" ]; then echo "ie-help: $guide is missing; tell the admins" >&2; exit 1; fi
topics=$(sed -n 's/^<!-- ie-help: \\([a-z]*\\) -->$/\\1/p' "$guide" | tr '\\n' ' ')
usage() {
  if [ "$lang" = ja ]; then
    printf '使い方: ie-help [トピック]\\nトピック: %s\\nガイド全体: %s/%s/index.html (ブラウザ), %s\\n' "$topics" "$dir" "$lang" "$guide"
  else
    printf 'usage: ie-help [TOPIC]\\ntopics: %s\\nthe whole guide: %s/%s/index.html (a browser), %s\\n' "$topics" "$dir" "$lang" "$guide"
  fi
}
if [ $# -eq 0 ]; then usage; exit 0; fi
case "$1" in -h|--help) usage; exit 0 ;; esac
if [ $# -gt 1 ]; then usage >&2; exit 2; fi
if [[ ! "$1" =~ ^[a-z]+$ ]] || ! grep -qxF "<!-- ie-help: $1 -->" "$guide"; then
  echo "ie-help: no topic '$1'" >&2
  usage >&2
  exit 2
fi
awk -v want="<!-- ie-help: $1 -->" '
  $0 == want { on = 1; next }
  !on { next }
  /^<!-- ie-help: / { exit }
  /^\`\`\`/ { code = !code; next }
  code { print "    " $0; blank = 0; next }
  /^$/ { if (!blank) print; blank = 1; next }
  { blank = 0 }
  /^## / { print substr($0, 4); print "========"; next }
  /^### / { print "-- " substr($0, 5) " --"; next }
  { gsub(/\\*\\*/, ""); print }
' "$guide"
`;
}

/** The rental VMs of each owner, as bash `case` arms printing "NAME ADDRESS" lines (no host: a move changes nothing here). */
function rentalArms(f: GuideFacts): string {
  const arms = Object.entries(f.rentalsByOwner).map(
    ([owner, rentals]) => `  ${sq(owner)}) printf '%s\\n' ${rentals.map((r) => sq(`${r.name} ${r.ip}`)).join(" ")} ;;`,
  );
  return arms.length > 0 ? arms.join("\n") : "  *) ;;";
}

/**
 * The login summary: one screen of the user's own state. Containers come from the user's ie-podman status
 * file (refreshed by every `ie-podman ps` and hourly by the reaper: starting node and podman at each login
 * would take longer than a login may), jobs from `squeue --me` (where Slurm's client is) bounded by
 * `timeout`, rental VMs from the stack, baked in.
 */
export function renderLoginSummary(f: GuideFacts): string {
  return `#!/bin/bash
# The department's login message (managed by ie-infra): the user's containers on this host (with when the
# reaper removes each stopped one; those within ${WARN_DAYS} days listed apart), rental VMs, queued and
# running jobs, and a pointer to ie-help. Run by ${PROFILE_PATH} for interactive logins; reads nothing
# but the user's own state. IE_LOGIN_TIMEOUT bounds the job query (seconds, default 1);
# IE_PODMAN_STATUS_DIR overrides where ie-podman's status files are.
set -euo pipefail
case "\${LC_ALL:-\${LC_MESSAGES:-\${LANG:-}}}" in ja*) ja=1 ;; *) ja= ;; esac
msg() { if [ -n "$ja" ]; then printf '%s\\n' "$2"; else printf '%s\\n' "$1"; fi; }
user=$(id -un)
status="\${IE_PODMAN_STATUS_DIR:-${STATUS_DIR}}/$(id -u).tsv"
now=$(date +%s)
human() { # seconds -> "2d 3h" / "5h 10m" / "12m"
  local s=$1
  if [ "$s" -ge 86400 ]; then echo "$((s / 86400))d $((s % 86400 / 3600))h"
  elif [ "$s" -ge 3600 ]; then echo "$((s / 3600))h $((s % 3600 / 60))m"
  else echo "$((s / 60))m"; fi
}
msg "ie-help: how to use this system (ie-help slurm, ie-help containers, ...)" "ie-help: このシステムの使い方 (ie-help slurm, ie-help containers など)"
if [ -r "$status" ]; then
  IFS= read -r header <"$status" || header=
  at=\${header##* }
  if [[ "$at" =~ ^[0-9]+$ ]]; then
    when=$(date -d "@$at" +%H:%M)
    lines=()
    soon=()
    n=0
    while IFS=$'\\t' read -r name state ip removeat; do
      case "$name" in '#'*|'') continue ;; esac
      n=$((n + 1))
      [ "$n" -le 8 ] || continue
      line="  $name  $state  $ip"
      if [[ "$removeat" =~ ^[0-9]+$ ]]; then
        left=$((removeat > now ? removeat - now : 0))
        line="$line  $(msg "removed in $(human "$left")" "$(human "$left") 後に削除")"
        if [ "$left" -le $((${WARN_DAYS} * 86400)) ]; then soon+=("$name"); fi
      fi
      lines+=("$line")
    done <"$status"
    if [ "$n" -gt 0 ]; then
      msg "Your containers on $(hostname) (as of $when; ie-podman ps for now):" "$(hostname) 上のあなたのコンテナ ($when 時点。最新は ie-podman ps):"
      printf '%s\\n' "\${lines[@]}"
      if [ "$n" -gt 8 ]; then msg "  ... and $((n - 8)) more: ie-podman ps -a" "  ... ほか $((n - 8)) 個: ie-podman ps -a"; fi
      if [ "\${#soon[@]}" -gt 0 ]; then
        msg "  Removed within ${WARN_DAYS} days: \${soon[*]} (ie-podman start NAME keeps one; copy results to your home)" "  ${WARN_DAYS} 日以内に削除: \${soon[*]} (残すには ie-podman start 名前、結果はホームへ)"
      fi
    fi
  fi
fi
rentals=$(case "$user" in
${rentalArms(f)}
esac)
if [ -n "$rentals" ]; then
  msg "Your rental VMs (ssh -i YOUR-KEY $user@ADDRESS):" "あなたの仮想マシン (ssh -i 鍵 $user@アドレス):"
  while read -r name ip; do printf '  %s  %s\\n' "$name" "$ip"; done <<<"$rentals"
fi
if command -v squeue >/dev/null; then
  jobs=$(timeout "\${IE_LOGIN_TIMEOUT:-1}" squeue --me -h -o '%i %T %j %P %M' 2>/dev/null || true)
  if [ -n "$jobs" ]; then
    msg "Your jobs (squeue --me):" "あなたのジョブ (squeue --me):"
    head -n 5 <<<"$jobs" | sed 's/^/  /'
    total=$(wc -l <<<"$jobs")
    if [ "$total" -gt 5 ]; then msg "  ... and $((total - 5)) more" "  ... ほか $((total - 5)) 件"; fi
  fi
fi
exit 0
`;
}

/**
 * /etc/profile.d/ie-guide.sh: sourced by every login shell (sh or bash), so POSIX and without `set -e`
 * (it would leak into the user's shell). Interactive shells on a terminal only; `touch ~/.hushlogin` or
 * IE_LOGIN_QUIET=1 silences it. Never fails the login.
 */
export function renderProfileScript(): string {
  return `# The department's login message (managed by ie-infra): interactive logins on a terminal only.
# Silence it with: touch ~/.hushlogin
case $- in *i*) ;; *) return 0 2>/dev/null || exit 0 ;; esac
if [ -t 1 ] && [ -z "\${IE_LOGIN_QUIET:-}" ] && [ ! -e "$HOME/.hushlogin" ] && [ -x ${LOGIN_SUMMARY_PATH} ]; then
  ${LOGIN_SUMMARY_PATH} || true
fi
`;
}
