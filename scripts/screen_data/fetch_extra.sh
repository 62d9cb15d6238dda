#!/usr/bin/env bash
# Fetch the openly licensed data sets the screening model is trained on besides those in the shared data folder
# (JADE, COLD, Flames, SafetyBench, ChineseSafetyQA, CValues), at pinned commits, into DATA_DIR, each with its
# licence. Development only: nothing at run time or in the tests needs them.
#   scripts/screen_data/fetch_extra.sh DATA_DIR
# HEGUI_GIT_URL overrides where the repositories come from ({repo} = owner/name, {repo_plus} = owner+name), e.g.
# HEGUI_GIT_URL='file:///mirrors/{repo_plus}/repo' for local mirrors.
# Licences and what is taken: src/hegui/screen/data/DATA_SOURCES.md.
set -euo pipefail
out=${1:?usage: fetch_extra.sh DATA_DIR}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# take REPO COMMIT DEST PATH... : copy PATHs of REPO at COMMIT into $out/DEST (keeping their base names)
take() {
  local repo=$1 commit=$2 dest=$3
  shift 3
  local git_dir="$work/${repo//\//+}"
  if [[ ! -d $git_dir ]]; then
    git init -q --bare "$git_dir"
    local url='https://github.com/{repo}'
    [[ -z ${HEGUI_GIT_URL:-} ]] || url=$HEGUI_GIT_URL
    url=${url//\{repo_plus\}/${repo//\//+}}
    url=${url//\{repo\}/$repo}
    if [[ -n ${SPARSE:-} ]]; then
      # A partial clone: only the files taken are downloaded (git show fetches each blob from the promisor
      # remote), for repositories whose other files are hundreds of megabytes.
      git -C "$git_dir" remote add origin "$url"
      git -C "$git_dir" config remote.origin.promisor true
      git -C "$git_dir" config remote.origin.partialclonefilter blob:none
      [[ $url != file://* ]] || git -C "$git_dir" config remote.origin.uploadpack \
        'git -c uploadpack.allowFilter=true -c uploadpack.allowAnySHA1InWant=true upload-pack'
      git -C "$git_dir" fetch -q --depth 1 --filter=blob:none origin "$commit"
    else
      git -C "$git_dir" fetch -q --depth 1 "$url" "$commit"
    fi
  fi
  mkdir -p "$out/$dest"
  for path in "$@"; do
    git -C "$git_dir" show "$commit:$path" > "$out/$dest/$(basename "$path")"
  done
}

take STAIR-BUPT/JailBench 5f474072db5212602448c16558b6d449efbecd30 jailbench JailBench_seed.csv JailBench.csv LICENSE
take Jarviswang94/Multilingual_safety_benchmark 8c55b6a6cda594cd550a4921513238a2dd40eb5a xsafety LICENSE
take Jarviswang94/Multilingual_safety_benchmark 8c55b6a6cda594cd550a4921513238a2dd40eb5a xsafety/zh \
  zh/Crimes_And_Illegal_Activities.csv zh/Insult.csv zh/Goal_Hijacking.csv zh/Physical_Harm.csv \
  zh/Mental_Health.csv zh/Privacy_And_Property.csv zh/Unfairness_And_Discrimination.csv
take DAMO-NLP-SG/multilingual-safety-for-LLMs 577ac511437e07a256130945ef312a99158a18ad multijail data/MultiJail.csv LICENSE
take hyintell/CHBias aa6163f51a4bfc43b5ba5c51dc5f6061f664498a chbias LICENSE \
  data/age/age_train.txt data/gender/gender_train.txt data/orientation/orientation_train.txt \
  data/appearance/appearance_train.txt
take LianjiaTech/BELLE 645084d36454cdeb4e7f1ce9b2f3426bac39f1f9 belle LICENSE eval/eval_set.json data/1.5M/zh_seed_tasks.json
apps_commit=367ed18b9c50b702d762c6fbc2885107141acb62
take PlexPt/awesome-chatgpt-prompts-zh $apps_commit apps LICENSE prompts-zh.json
# ... and its 673 question tables (question/*.md), copied flat into apps/
apps_git="$work/PlexPt+awesome-chatgpt-prompts-zh"
git -C "$apps_git" ls-tree --name-only $apps_commit question/ | while read -r path; do
  git -C "$apps_git" show "$apps_commit:$path" > "$out/apps/$(basename "$path")"
done
SPARSE=1 take Toyhom/Chinese-medical-dialogue-data 26724a4357fcd142f0cab81188cacf1a2dd8a827 medical LICENSE \
  "样例_内科5000-6000.csv"
echo "fetched into $out:"
ls "$out"
