/** The guide's sections on containers (ie-podman) and Apptainer. Pure: facts in, Markdown out. */
import { toSlurmTime } from "../inventory/units";
import { fileInfo, runInfo } from "./blocks";
import type { ContainerFacts, GuideFacts, RefusedClass } from "./facts";
import { BATCH } from "./sections-slurm";
import { type Lang, type Section, bytes, codes, duration, fence, list, table, tr } from "./text";

/** The example container's name and build directory. */
export const EXAMPLE = { container: "mywork", tool: "mytool", context: "ctx", sifJob: "job/sif-job.sh", sifJobName: "sif-gpu" } as const;

/** Japanese for each of ie-podman's refusal reasons (policy.ts REFUSED); a test keeps it complete. */
export const REFUSAL_JA: Readonly<Record<string, string>> = {
  "gives the container every capability and every host device": "コンテナにすべての特権とホストの全デバイスを与えてしまうため",
  "adds capabilities; containers run with none": "特権（capability）を追加するため。コンテナは特権なしで動きます",
  "host devices are not available; ask for a GPU with --gpu": "ホストのデバイスは使えません。GPU は --gpu で頼みます",
  "would change the confinement ie-podman sets": "ie-podman が設定する隔離を変えてしまうため",
  "changes kernel settings": "カーネルの設定を変えるため",
  "adds groups the caller does not have": "自分が属していないグループを加えるため",
  "containers run as the caller": "コンテナは常に自分自身のユーザとして動くため",
  "pods are not available": "pod は使えません",
  "would share other containers' volumes": "他のコンテナのボリュームを共有してしまうため",
  "would copy ie-podman's own (root) environment into the container": "ie-podman 自身（root）の環境変数をコンテナに写してしまうため",
  "is read by root: put the variables on the command line with --env": "root がファイルを読むため。変数は --env でコマンドラインに書きます",
  "user namespace maps are set by ie-podman": "ユーザ名前空間の対応は ie-podman が決めるため",
  "host namespaces are not available": "ホストの名前空間は使えません",
  "the container gets ie-podman's network; ask for an address with --ip": "ネットワークは ie-podman が決めます。アドレスは --ip で頼みます",
  "would move the container out of its cgroup": "コンテナを cgroup の外に出してしまうため",
  "would change how the container is confined": "コンテナの制限の仕方を変えてしまうため",
  "ie-podman already drops every capability": "ie-podman がすでに全特権を外しているため",
  "labels are set by ie-podman (ie-podman.owner marks the owner)": "ラベルは ie-podman が付けます（ie-podman.owner が所有者の印）",
  "would make the host kill other processes first": "メモリ不足のときにホストが他のプロセスを先に止めるようにしてしまうため",
  "swap beyond the memory limit is not available; ask for --memory up to the ceiling": "メモリ上限を超えるスワップは使えません。--memory で上限まで頼めます",
  "memory is limited with --memory": "メモリは --memory で指定します",
  "CPUs are limited with --cpus": "CPU は --cpus で指定します",
  "would raise the limits ie-podman sets": "ie-podman が決める上限を上げてしまうため",
  "runs a host directory as the container's root": "ホストのディレクトリをコンテナのルートにしてしまうため",
  "restart policies outlive the session; start the container again with ie-podman start": "再起動ポリシーはセッションを越えて残るため。ie-podman start で再開します",
};

function refusedLine(c: RefusedClass, lang: Lang): string {
  const reason = lang === "ja" ? (REFUSAL_JA[c.reason] ?? c.reason) : c.reason;
  return `- ${codes(c.options).join(", ")}: ${reason}`;
}

function limitsTable(c: ContainerFacts, lang: Lang): string {
  const l = c.limits;
  return table(tr(lang, { en: "per container|default|at most|ask with", ja: "コンテナごと|既定|上限|指定の仕方" }).split("|"), [
    [tr(lang, { en: "memory", ja: "メモリ" }), bytes(l.memory.default), bytes(l.memory.max), "`--memory 4g`"],
    ["CPU", String(l.cpus.default), String(l.cpus.max), "`--cpus 2`"],
    [tr(lang, { en: "processes", ja: "プロセス数" }), String(l.pids.default), String(l.pids.max), "`--pids-limit 2048`"],
    ["/dev/shm", bytes(l.shm.default), bytes(l.shm.max), "`--shm-size 1g`"],
  ]);
}

/** Where Slurm owns the GPUs: what `--gpu` does there, `--time`, `--gpu-wait`, and that a GPU container does not start again. */
function slurmGpuText(g: NonNullable<ContainerFacts["slurmGpus"]>, lang: Lang): string {
  const most = duration(lang, g.maxTimeSeconds);
  return tr(lang, {
    en: `On ${list(lang, codes(g.hosts))} the GPUs belong to Slurm: \`--gpu\` takes them with a Slurm allocation in your name (job name \`ie-podman\`, partition \`${g.partition}\`; your Slurm limits apply) for at most **${most}** (\`--time=2:00:00\` asks for less, written as for sbatch). When none is free, ie-podman says so at once and names the jobs holding them; \`--gpu-wait=30m\` waits instead. The container is stopped when its allocation ends (\`ie-podman ps\` shows the job and why it ended); \`ie-podman stop\` and \`rm\` give the GPU back, and such a container is not started again: run a new one.`,
    ja: `${list(lang, codes(g.hosts))} では GPU は Slurm のものです。\`--gpu\` はあなたの名前で Slurm の割り当てを取ります（ジョブ名 \`ie-podman\`、パーティション \`${g.partition}\`。あなたの Slurm の制限が適用されます）。使えるのは最長 **${most}** です（\`--time=2:00:00\` で短くできます。書き方は sbatch と同じです）。空いている GPU がなければ ie-podman はすぐにそう伝え、GPU を使っているジョブを示します。\`--gpu-wait=30m\` で空くまで待つこともできます。割り当てが終わるとコンテナは停止されます（\`ie-podman ps\` にジョブと終了の理由が出ます）。\`ie-podman stop\` や \`rm\` で GPU は返却され、そのコンテナは再開できません。新しく run してください。`,
  });
}

export function containersSection(f: GuideFacts, c: ContainerFacts, lang: Lang): Section {
  const img = f.exampleImage;
  const reap = duration(lang, c.reapAfterDays * 86400);
  const parts = [
    tr(lang, {
      en: `Containers run on ${list(lang, codes(c.hosts))}. Log in to one of them and use \`ie-podman\`: it runs Podman for you, as yourself, and shows and touches only your own containers. A container sees your home (bind it with \`-v ~/data:/data\`); nothing else of the host.`,
      ja: `コンテナは ${list(lang, codes(c.hosts))} で動きます。どれかにログインして \`ie-podman\` を使います。ie-podman は自分のユーザとして Podman を動かし、自分のコンテナだけを表示・操作します。コンテナからはホームが見えます（\`-v ~/data:/data\` で渡します）が、ホストの他の部分は見えません。`,
    }),
    `### ${tr(lang, { en: "Run a container with an address and a GPU", ja: "アドレスと GPU 付きで実行" })}`,
    tr(lang, {
      en: `\`--ip\` gives the container its own address of the department's container network \`${c.pool}\`; \`--gpu\` one GPU for it alone. ie-podman prints what it gave (\`ie-podman: 1a2b3c4d5e6f: address …, GPU 0\`).`,
      ja: `\`--ip\` で学科のコンテナ用ネットワーク \`${c.pool}\` のアドレスを、\`--gpu\` で専用の GPU を 1 枚もらえます。ie-podman は割り当てたものを表示します（\`ie-podman: 1a2b3c4d5e6f: address …, GPU 0\`）。`,
    }),
    fence(runInfo("container-host", "address"), `ie-podman run --rm --ip --gpu ${img} echo hello`),
    ...(c.slurmGpus !== undefined ? [slurmGpuText(c.slurmGpus, lang)] : []),
    tr(lang, {
      en: "In the background (`-d`), then list, stop and remove it:",
      ja: "バックグラウンド（`-d`）で動かし、一覧・停止・削除する例：",
    }),
    fence(runInfo("container-host", "ok"), `ie-podman run -d --ip --name ${EXAMPLE.container} ${img} sleep 600`),
    fence(runInfo("container-host", "ok", { prints: EXAMPLE.container }), "ie-podman ps"),
    fence(runInfo("container-host", "ok"), `ie-podman stop -t 1 ${EXAMPLE.container}`),
    fence(runInfo("container-host", "ok", { prints: "removed in" }), "ie-podman ps -a"),
    fence(runInfo("container-host", "ok"), `ie-podman rm ${EXAMPLE.container}`),
    `### ${tr(lang, { en: "Stopped containers are removed", ja: "停止したコンテナは削除されます" })}`,
    tr(lang, {
      en: `A container stopped for more than **${reap}** is removed by the reaper (it looks every hour), with its address and GPU. \`ie-podman ps -a\` shows for each stopped container when (\`removed in 2d 3h\`), and the message at login lists those that go within 2 days. Keep results in your home, not in the container; \`ie-podman start NAME\` before the time keeps a container.`,
      ja: `停止してから **${reap}** を過ぎたコンテナは、アドレスや GPU とともに自動で削除されます（1 時間ごとに確認）。\`ie-podman ps -a\` に停止中のコンテナがいつ削除されるか（\`removed in 2d 3h\`）が表示され、ログイン時のメッセージには 2 日以内に削除されるものが出ます。結果はコンテナの中でなくホームに置きましょう。残したいコンテナは期限の前に \`ie-podman start 名前\` で再開します。`,
    }),
    `### ${tr(lang, { en: "Your own image", ja: "自分のイメージを作る" })}`,
    tr(lang, {
      en: `Write a Containerfile in a directory of your home and build it; the image is called \`localhost/YOUR-NAME/NAME\`.`,
      ja: `ホームのディレクトリに Containerfile を書いてビルドします。イメージ名は \`localhost/ユーザ名/名前\` になります。`,
    }),
    fence(fileInfo("container-host", `${EXAMPLE.context}/Containerfile`), `FROM ${img}\nRUN echo "built by ie-podman build" > /hello.txt`),
    fence(runInfo("container-host", "ok"), `ie-podman build -t ${EXAMPLE.tool} ~/${EXAMPLE.context}`),
    fence(runInfo("container-host", "ok", { prints: "built by ie-podman build" }), `ie-podman run --rm localhost/$USER/${EXAMPLE.tool} cat /hello.txt`),
    tr(lang, {
      en: `Images and containers are stored on the host's SSD (\`${c.storagePath}\`), not in your home: they take nothing of your home's space, and each container host has its own. The layer cache is shared, so a second build of the same steps is fast.`,
      ja: `イメージとコンテナはホームではなくホストの SSD（\`${c.storagePath}\`）に置かれます。ホームの容量は使わず、コンテナホストごとに別々です。レイヤのキャッシュは共有なので、同じ手順の 2 回目のビルドは速く終わります。`,
    }),
    `### ${tr(lang, { en: "Limits", ja: "上限" })}`,
    tr(lang, {
      en: `At once, on a host, you may hold ${c.caps.containers} containers (stopped ones count), ${c.caps.addresses} addresses and ${c.caps.gpus} GPU(s).`,
      ja: `1 つのホストで同時に持てるのは、コンテナ ${c.caps.containers} 個（停止中も数えます）、アドレス ${c.caps.addresses} 個、GPU ${c.caps.gpus} 枚までです。`,
    }),
    limitsTable(c, lang),
    `### ${tr(lang, { en: "What is refused, and why", ja: "使えないオプションとその理由" })}`,
    tr(lang, {
      en: "ie-podman passes only the options on its list (`ie-podman run --help`) and refuses every other one by name, starting nothing. One line per kind:",
      ja: "ie-podman は一覧にあるオプション（`ie-podman run --help`）だけを通し、それ以外は名前を挙げて断り、何も起動しません。種類ごとに 1 行：",
    }),
    c.refused.map((r) => refusedLine(r, lang)).join("\n"),
    tr(lang, { en: "For example:", ja: "例：" }),
    fence(runInfo("container-host", "refused", { prints: "--privileged" }), `ie-podman run --privileged ${img}`),
  ];
  return { topic: "containers", title: tr(lang, { en: "Containers: ie-podman", ja: "コンテナ：ie-podman" }), body: parts.join("\n\n") };
}

/** The SIF batch file: the example SIF, run with the GPU Slurm gives the job. */
export function sifBatchFile(f: GuideFacts): string {
  const e = f.slurm?.example;
  return [
    "#!/bin/bash",
    `#SBATCH --job-name ${EXAMPLE.sifJobName}`,
    `#SBATCH --output ${BATCH.log}`,
    ...(e !== undefined ? [`#SBATCH --partition ${e.partition}`] : []),
    ...(e?.gpuType !== undefined ? [`#SBATCH --gpus ${e.gpuType}:1`] : []),
    `#SBATCH --time ${toSlurmTime(600)}`,
    `singularity exec --nv ~/${f.exampleSif} sh -c 'echo "inside the SIF: CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES"'`,
  ].join("\n");
}

export function apptainerSection(f: GuideFacts, c: ContainerFacts, lang: Lang): Section {
  const s = f.slurm;
  // A job can run the SIF only where Apptainer is: every node of the example partition a container host.
  const jobsRunSif = s !== undefined && (s.partitions.find((p) => p.name === s.example.partition)?.nodes.every((n) => c.hosts.includes(n)) ?? false);
  const parts = [
    tr(lang, {
      en: `Apptainer (the \`singularity\` command) runs a container from one SIF file, as yourself, without ie-podman; on ${list(lang, codes(c.hosts))}${jobsRunSif ? " and inside Slurm jobs" : ""}. \`ie-podman sif IMAGE\` turns an image into \`IMAGE.sif\` in the current directory (keep it in your CephFS home).`,
      ja: `Apptainer（\`singularity\` コマンド）は 1 つの SIF ファイルからコンテナを自分のユーザとして実行します。ie-podman は使いません。${list(lang, codes(c.hosts))}${jobsRunSif ? " と Slurm のジョブの中" : ""}で使えます。\`ie-podman sif イメージ\` でイメージを現在のディレクトリの \`イメージ.sif\` に変換します（CephFS のホームに置きます）。`,
    }),
    fence(runInfo("container-host", "ok"), `ie-podman sif ${f.exampleImage}`),
    tr(lang, { en: "`--nv` gives the container the GPUs you have (none outside a GPU job or GPU host).", ja: "`--nv` で自分に割り当てられた GPU がコンテナから見えます。" }),
    fence(runInfo("container-host", "ok"), `singularity run --nv ${f.exampleSif}`),
  ];
  if (jobsRunSif && s !== undefined) {
    parts.push(
      `### ${tr(lang, { en: "In a Slurm job", ja: "Slurm のジョブの中で" })}`,
      tr(lang, {
        en: `Write \`~/${EXAMPLE.sifJob}\` on \`${s.controller}\` and submit it as in the Slurm section (the log directory \`~/${BATCH.dir}/logs\` must exist):`,
        ja: `\`${s.controller}\` で \`~/${EXAMPLE.sifJob}\` を書き、Slurm の節と同じように投入します（ログのディレクトリ \`~/${BATCH.dir}/logs\` が必要です）：`,
      }),
      fence(fileInfo("slurm-controller", EXAMPLE.sifJob), sifBatchFile(f)),
      fence(runInfo("slurm-controller", "job", { log: `${BATCH.dir}/logs/${EXAMPLE.sifJobName}-%j.log`, prints: "inside the SIF" }), `sbatch --chdir ~/${BATCH.dir} ~/${EXAMPLE.sifJob}`),
    );
  }
  return { topic: "apptainer", title: tr(lang, { en: "Apptainer: SIF files, also in Slurm jobs", ja: "Apptainer：SIF ファイルと Slurm ジョブ" }), body: parts.join("\n\n") };
}
