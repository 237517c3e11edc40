/** The guide's sections on logging in and files, and on Slurm. Pure: facts in, Markdown out. */
import { toSlurmTime } from "../inventory/units";
import { fileInfo, runInfo } from "./blocks";
import type { GuideFacts, SlurmFacts } from "./facts";
import { type Lang, type Section, codes, duration, fence, list, table, tr } from "./text";

/** The batch file's name and job name, and where its log goes (relative to the job's directory). */
export const BATCH = { file: "job/job.sh", dir: "job", name: "hello-gpu", log: "logs/%x-%j.log", err: "logs/%x-%j.err" } as const;

export function filesSection(f: GuideFacts, lang: Lang): Section {
  const hosts = list(lang, codes(f.loginHosts));
  const parts = [
    tr(lang, {
      en: `Log in with SSH (\`ssh YOUR-NAME@HOST\`) to any of ${hosts} with your department account.`,
      ja: `学科のアカウントで ${hosts} のいずれかに SSH でログインします（\`ssh ユーザ名@ホスト\`）。`,
    }),
  ];
  if (f.home !== undefined) {
    const homeHosts = list(lang, codes(f.home.hosts));
    parts.push(
      tr(lang, {
        en: `Your home directory \`${f.home.mountPoint}/YOUR-NAME\` lives on CephFS, the department's shared file system, and is the same on ${homeHosts}: a file written on one of them is on all of them at once, and it is where your jobs and containers read and write.`,
        ja: `ホームディレクトリ \`${f.home.mountPoint}/ユーザ名\` は学科の共有ファイルシステム CephFS 上にあり、${homeHosts} のどれでも同じ内容です。あるホストで書いたファイルはすぐに他のホストでも見え、ジョブやコンテナもここを読み書きします。`,
      }),
      fence(runInfo("home", "ok", { prints: "ceph" }), "df -h --output=fstype,size,used,avail ~"),
    );
    const local = f.loginHosts.filter((h) => !f.home?.hosts.includes(h));
    if (local.length > 0) {
      parts.push(
        tr(lang, {
          en: `On ${list(lang, codes(local))} your home is a local directory of that host, not the CephFS one.`,
          ja: `${list(lang, codes(local))} のホームはそのホスト固有のディレクトリで、CephFS のホームではありません。`,
        }),
      );
    }
  }
  return { topic: "files", title: tr(lang, { en: "Logging in and your files", ja: "ログインとファイル" }), body: parts.join("\n\n") };
}

/** The report's batch file, with this stack's partition, GPU type and limits. */
export function batchFile(s: SlurmFacts): string {
  const e = s.example;
  return [
    "#!/bin/bash",
    `#SBATCH --job-name ${BATCH.name}`,
    `#SBATCH --output ${BATCH.log}`,
    `#SBATCH --error ${BATCH.err}`,
    `#SBATCH --partition ${e.partition}`,
    "#SBATCH --nodes 1",
    `#SBATCH --cpus-per-task ${e.cpus}`,
    ...(e.gpuType !== undefined ? [`#SBATCH --gpus ${e.gpuType}:1`] : []),
    `#SBATCH --time ${toSlurmTime(e.time)}`,
    'echo "job $SLURM_JOB_ID on $(hostname)"',
    'echo "CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-none}"',
  ].join("\n");
}

export function slurmSection(f: GuideFacts, s: SlurmFacts, lang: Lang): Section {
  const unlimited = tr(lang, { en: "unlimited", ja: "無制限" });
  const partitions = table(
    tr(lang, { en: "partition|nodes|time limit|default time", ja: "パーティション|ノード|最大時間|既定の時間" }).split("|"),
    s.partitions.map((p) => [
      `\`${p.name}\`${p.default ? tr(lang, { en: " (default)", ja: "（既定）" }) : ""}`,
      list(lang, codes(p.nodes)),
      p.maxTime !== undefined ? duration(lang, p.maxTime) : unlimited,
      p.defaultTime !== undefined ? duration(lang, p.defaultTime) : p.maxTime !== undefined ? duration(lang, p.maxTime) : unlimited,
    ]),
  );
  const gpus =
    s.gpus.length > 0
      ? table(
          tr(lang, { en: "GPU type|GPUs per node|nodes|ask with", ja: "GPU の種類|ノードあたり|ノード|指定の仕方" }).split("|"),
          s.gpus.map((g) => [`\`${g.type}\``, String(g.count), list(lang, codes(g.nodes)), `\`--gpus ${g.type}:1\``]),
        )
      : tr(lang, { en: "This cluster has no GPUs.", ja: "このクラスタには GPU がありません。" });
  const homeOnController = f.home?.hosts.includes(s.controller) ?? false;
  const e = s.example;
  const parts = [
    tr(lang, {
      en: `Slurm runs your programs as batch jobs on the compute nodes. Its commands (\`sbatch\`, \`squeue\`, \`scancel\`, \`sinfo\`) are on \`${s.controller}\`: log in there to submit.`,
      ja: `Slurm はプログラムを計算ノード上でバッチジョブとして実行します。コマンド（\`sbatch\`、\`squeue\`、\`scancel\`、\`sinfo\`）は \`${s.controller}\` にあるので、そこにログインして投入します。`,
    }),
    partitions,
    gpus,
    fence(runInfo("slurm-controller", "ok", { prints: e.partition }), "sinfo"),
    `### ${tr(lang, { en: "A batch file", ja: "バッチファイル" })}`,
    tr(lang, {
      en: `Slurm does not create the directory of a job's log: make it first, in your CephFS home${f.home !== undefined ? ` (on ${list(lang, codes(f.home.hosts))})` : ""}.`,
      ja: `Slurm はログのディレクトリを作りません。先に CephFS のホーム${f.home !== undefined ? `（${list(lang, codes(f.home.hosts))}）` : ""}で作っておきます。`,
    }),
    fence(runInfo("home", "ok"), `mkdir -p ~/${BATCH.dir}/logs`),
    tr(lang, {
      en: `Then write \`~/${BATCH.file}\` on \`${s.controller}\`. It asks for partition \`${e.partition}\`, ${e.cpus} CPUs${e.gpuType !== undefined ? `, one \`${e.gpuType}\` GPU` : ""} and ${duration(lang, e.time)}; \`%x\` in the log's name is the job's name, \`%j\` its number.`,
      ja: `次に \`${s.controller}\` で \`~/${BATCH.file}\` を書きます。パーティション \`${e.partition}\`、CPU ${e.cpus} 個${e.gpuType !== undefined ? `、GPU \`${e.gpuType}\` を 1 枚` : ""}、${duration(lang, e.time)}を要求します。ログ名の \`%x\` はジョブ名、\`%j\` はジョブ番号です。`,
    }),
    fence(fileInfo("slurm-controller", BATCH.file), batchFile(s)),
    tr(lang, {
      en: homeOnController
        ? `Submit it. \`--chdir\` is the directory the job runs in; its log appears in \`~/${BATCH.dir}/logs/\`.`
        : `Submit it. \`--chdir\` is the directory the job runs in: on the compute node that path is in your CephFS home (your home on \`${s.controller}\` is a local one), so the log appears in \`~/${BATCH.dir}/logs/\` on ${list(lang, codes(f.home?.hosts ?? []))}.`,
      ja: homeOnController
        ? `投入します。\`--chdir\` はジョブを実行するディレクトリで、ログは \`~/${BATCH.dir}/logs/\` にできます。`
        : `投入します。\`--chdir\` はジョブを実行するディレクトリです。計算ノードではこのパスが CephFS のホームなので（\`${s.controller}\` のホームはローカル）、ログは ${list(lang, codes(f.home?.hosts ?? []))} の \`~/${BATCH.dir}/logs/\` にできます。`,
    }),
    fence(runInfo("slurm-controller", "job", { log: `${BATCH.dir}/logs/${BATCH.name}-%j.log`, prints: "CUDA_VISIBLE_DEVICES=" }), `sbatch --chdir ~/${BATCH.dir} ~/${BATCH.file}`),
    `### ${tr(lang, { en: "Watching and cancelling", ja: "確認と取り消し" })}`,
    tr(lang, {
      en: "`squeue` lists every job of the cluster (who runs what, where, for how long); `squeue --me` only yours.",
      ja: "`squeue` はクラスタの全ジョブ（誰が何をどこでどれだけ）を表示します。`squeue --me` は自分のジョブだけです。",
    }),
    fence(runInfo("slurm-controller", "ok", { prints: "JOBID" }), "squeue --me"),
    tr(lang, {
      en: "`scancel JOBID` cancels a job. You can cancel **your own jobs only**: for another user's job Slurm answers `Access/permission denied` and the job goes on.",
      ja: "`scancel ジョブ番号` でジョブを取り消します。取り消せるのは**自分のジョブだけ**です。他人のジョブには `Access/permission denied` と返り、ジョブは続きます。",
    }),
    fence("sh", "scancel JOBID"),
  ];
  return { topic: "slurm", title: tr(lang, { en: "Slurm: batch jobs on the compute nodes", ja: "Slurm：計算ノードでのバッチジョブ" }), body: parts.join("\n\n") };
}
