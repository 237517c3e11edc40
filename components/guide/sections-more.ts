/** The guide's sections on VM rental and on getting help. Pure: facts in, Markdown out. */
import { runInfo } from "./blocks";
import { DEFAULT_CONTACT, type GuideFacts, type VmFacts } from "./facts";
import { type Lang, type Section, TOPICS, bytes, codes, fence, list, tr } from "./text";

/** Who to ask, in the reader's language. */
export function contactOf(f: GuideFacts, lang: Lang): string {
  return f.contact ?? DEFAULT_CONTACT[lang];
}

export function vmsSection(f: GuideFacts, v: VmFacts, lang: Lang): Section {
  const d = v.defaults;
  const spec = tr(lang, {
    en: `${d.vcpus} vCPU, ${bytes(d.memory)} of memory and a ${bytes(d.disk)} disk`,
    ja: `vCPU ${d.vcpus} 個、メモリ ${bytes(d.memory)}、ディスク ${bytes(d.disk)}`,
  });
  const contact = contactOf(f, lang);
  const parts = [
    tr(lang, {
      en: `You can rent a virtual machine of your own for a course or a project, with root in it. The usual one has ${spec}; say so if you need more.`,
      ja: `授業やプロジェクトのために、自分専用の仮想マシン（中では root）を借りられます。標準は ${spec} です。もっと必要なら申請時に書いてください。`,
    }),
    tr(lang, {
      en: `**To ask for one**, write to ${contact} with your user name, what it is for, until when, and your SSH **public** key (the line in \`~/.ssh/id_ed25519.pub\`; make a key pair with \`ssh-keygen -t ed25519\` if you have none). Never send the private key.`,
      ja: `**申請**は ${contact} に、ユーザ名・用途・利用期間・SSH の**公開鍵**（\`~/.ssh/id_ed25519.pub\` の 1 行。なければ \`ssh-keygen -t ed25519\` で作ります）を送ってください。秘密鍵は決して送らないでください。`,
    }),
    tr(lang, {
      en: `When it is ready, it runs on ${list(lang, codes(v.hosts))} with a fixed address of \`${v.network}\`, and the message at login shows it. Log in as yourself with the key you gave (there is no password login):`,
      ja: `準備ができると、${list(lang, codes(v.hosts))} 上で \`${v.network}\` の固定アドレスで動き、ログイン時のメッセージに表示されます。申請した鍵で自分のユーザとしてログインします（パスワードでは入れません）：`,
    }),
    fence("sh", "ssh -i ~/.ssh/id_ed25519 YOUR-NAME@ADDRESS"),
    tr(lang, {
      en: "Its disk lives on the department's Ceph storage; it is kept when the VM moves to another server at the yearly refresh.",
      ja: "ディスクは学科の Ceph ストレージ上にあり、年次更新で別のサーバに移るときもそのまま残ります。",
    }),
  ];
  return { topic: "vms", title: tr(lang, { en: "Renting a virtual machine", ja: "仮想マシンの貸し出し" }), body: parts.join("\n\n") };
}

export function helpSection(f: GuideFacts, lang: Lang, slurmTitle?: string): Section {
  const parts = [
    tr(lang, {
      en: `\`ie-help\` prints this guide's sections in the terminal, in Japanese when your \`LANG\` starts with \`ja\`, else in English. Topics: ${list(lang, codes([...TOPICS]))}.`,
      ja: `\`ie-help\` はこのガイドの節を端末に表示します。\`LANG\` が \`ja\` で始まれば日本語、そうでなければ英語です。トピック：${list(lang, codes([...TOPICS]))}。`,
    }),
    fence(runInfo("login", "ok", slurmTitle !== undefined ? { prints: slurmTitle } : {}), "ie-help slurm"),
    tr(lang, {
      en: "The whole guide is in `/usr/share/doc/ie-guide/` on every host you log in to (`ja/` and `en/`: `index.html` for a browser, `guide.md`). `ie-podman VERB --help` explains each ie-podman command.",
      ja: "ガイド全体はログインできる各ホストの `/usr/share/doc/ie-guide/`（`ja/` と `en/`。ブラウザ用の `index.html` と `guide.md`）にあります。ie-podman の各コマンドは `ie-podman コマンド --help` で説明が出ます。",
    }),
    tr(lang, {
      en: `Questions, problems, a VM or more resources: ${contactOf(f, lang)}. Say which host, the command you typed and what it printed.`,
      ja: `質問・トラブル・仮想マシンや資源の申請は ${contactOf(f, lang)} へ。ホスト名、入力したコマンド、表示された内容を書いてください。`,
    }),
  ];
  return { topic: "help", title: tr(lang, { en: "Where to get help", ja: "困ったときは" }), body: parts.join("\n\n") };
}
