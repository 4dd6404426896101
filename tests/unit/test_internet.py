"""Internet dependence of a notebook: its lifecycle scripts (decoded) and its Git repositories (pure)."""

from __future__ import annotations

import base64

import pytest

from notebook_guard.domain import internet
from notebook_guard.domain.internet import DEGRADES, FAILS, MENTIONS


def lifecycle(on_start: str = "", on_create: str = "") -> dict:
    encode = lambda text: [{"Content": base64.b64encode(text.encode()).decode()}] if text else []  # noqa: E731
    return {"OnStart": encode(on_start), "OnCreate": encode(on_create)}


def evidence(script: str) -> list:
    found, _ = internet.script_evidence("cfg OnStart", script)
    return found


@pytest.mark.parametrize(
    "line, reason",
    [
        ("pip install pandas==2.2", "PyPI"),
        ("sudo -u ec2-user -i <<'EOF'\nsource activate python3\npip install xgboost\nEOF", "PyPI"),
        ("python3 -m pip install -r requirements.txt", "PyPI"),
        ("/home/ec2-user/anaconda3/envs/python3/bin/pip3 install torch", "PyPI"),
        ("pip install --index-url https://pypi.example.com/simple x", "pypi.example.com"),
        ("conda install -y -c conda-forge lightgbm", "conda"),
        ("mamba env create -f environment.yml", "conda"),
        ("jupyter labextension install @jupyterlab/git", "npm"),
        ("yum install -y htop", "OS package manager"),
        ("Rscript -e 'install.packages(\"data.table\")'", "CRAN"),
        ("wget https://raw.githubusercontent.com/aws-samples/x/master/autostop.py", "raw.githubusercontent.com"),
        ("curl -fsSL https://example.org/setup.sh | bash", "example.org"),
        ("git clone https://github.com/aws/amazon-sagemaker-examples.git", "github.com"),
        ("git clone git@gitlab.com:team/tools.git", "gitlab.com"),
        ("curl -o x $DOWNLOAD_URL", "variable"),
    ],
)
def test_commands_that_fetch_from_the_internet_are_evidence(line, reason):
    found = evidence(line)
    assert found and reason in found[0].reason, found
    assert found[0].source.startswith("cfg OnStart, line ")


def test_foreground_commands_fail_and_background_ones_degrade():
    script = "#!/bin/bash\nset -e\npip install a\nnohup pip install b &\npip install c &\n"
    effects = [(e.text, e.effect) for e in evidence(script)]
    assert effects == [("pip install a", FAILS), ("nohup pip install b &", DEGRADES), ("pip install c &", DEGRADES)]


def test_here_documents_are_run_later_and_line_numbers_point_at_the_line():
    script = "cat > /tmp/job.sh <<EOF\ncurl https://example.org/data\nEOF\nnohup bash /tmp/job.sh &\n"
    (found,) = evidence(script)
    assert found.effect == DEGRADES and found.source.endswith("line 2")


def test_a_here_document_fed_to_a_shell_runs_now_as_in_aws_samples():
    script = "sudo -u ec2-user -i <<'EOF'\nsource activate python3\npip install xgboost\nEOF\n"
    (found,) = evidence(script)
    assert found.effect == FAILS and found.source.endswith("line 3")
    backgrounded = "nohup sudo -u ec2-user -i <<'EOF' &\npip install xgboost\nEOF\n"
    assert [e.effect for e in evidence(backgrounded)] == [DEGRADES]


def test_continuations_are_joined_and_comments_ignored():
    script = "# pip install not-run\npip install \\\n   pandas \\\n   numpy  # the data stack\necho done\n"
    (found,) = evidence(script)
    assert found.text == "pip install pandas numpy" and found.source.endswith("line 2")


@pytest.mark.parametrize(
    "line",
    [
        "aws s3 cp s3://bucket/tools.tar.gz /tmp/",
        "pip install --no-index --find-links /opt/wheels pandas",
        "pip install -i https://team-123456789012.d.codeartifact.us-east-1.amazonaws.com/pypi/py/simple/ x",
        "curl -s http://169.254.169.254/latest/meta-data/instance-id",
        "curl http://localhost:8888/api",
        "git clone https://git-codecommit.us-east-1.amazonaws.com/v1/repos/tools",
        "git clone codecommit::us-east-1://tools",
        "conda install --offline ./pkgs/x.tar.bz2",
        "echo 'nothing to fetch'",
    ],
)
def test_what_stays_inside_aws_or_the_vpc_is_not_evidence(line):
    assert [e for e in evidence(line) if e.effect != MENTIONS] == []


def test_a_url_only_mentioned_is_reported_but_does_not_need_the_internet():
    need = internet.analyse("cfg", lifecycle(on_start="echo 'docs: https://example.org/help' > /tmp/README"), [])
    assert [e.effect for e in need.evidence] == [MENTIONS] and not need.needed


def test_repositories_other_than_codecommit_need_the_internet():
    need = internet.analyse(
        None,
        None,
        [
            ("AdditionalCodeRepositories", "https://github.com/aws/amazon-sagemaker-examples.git"),
            ("code repository 'tools'", "https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/tools"),
            ("code repository 'mirror'", "ssh://APKAEIBAERJR2EXAMPLE@git-codecommit.us-east-2.amazonaws.com/v1/repos/m"),
        ],
    )
    (found,) = need.evidence
    assert found.kind == "repository" and found.effect == FAILS and "github.com" in found.reason
    private = internet.analyse(None, None, [("code repository 'corp'", "https://git.corp.internal/team/x.git")])
    assert [e.effect for e in private.evidence] == [MENTIONS] and not private.needed
    assert len(need.codecommit) == 2 and need.needed


def test_analyse_decodes_both_hooks_and_reports_unreadable_scripts():
    config = lifecycle(on_start="pip install a", on_create="git clone https://github.com/x/y")
    config["OnCreate"].append({"Content": "%%% not base64"})
    need = internet.analyse("team-tools", config, [])
    assert {e.source.split(",")[0] for e in need.evidence} == {
        "lifecycle configuration 'team-tools' OnStart",
        "lifecycle configuration 'team-tools' OnCreate",
    }
    assert need.unreadable == ["OnCreate"]


def test_fixes_follow_the_evidence():
    need = internet.analyse("cfg", lifecycle(on_start="pip install a"), [("repo", "https://github.com/x/y")])
    fixes = " ".join(internet.fixes(need))
    assert "NAT gateway" in fixes and "CodeCommit" in fixes and "CodeArtifact" in fixes
    assert "internet_dependency=warn" in fixes
    only_pip = " ".join(internet.fixes(internet.analyse("cfg", lifecycle(on_start="pip install a"), [])))
    assert "CodeCommit" not in only_pip
    assert "`pip install a`" in internet.summary(need)


@pytest.mark.parametrize(
    "url, codecommit",
    [
        ("https://git-codecommit.us-east-1.amazonaws.com/v1/repos/x", True),
        ("https://git-codecommit-fips.us-gov-west-1.amazonaws.com/v1/repos/x", True),
        ("https://git-codecommit.cn-north-1.amazonaws.com.cn/v1/repos/x", True),
        ("codecommit://profile@x", True),
        ("https://github.com/git-codecommit.us-east-1.amazonaws.com", False),
        ("https://bitbucket.org/team/x.git", False),
    ],
)
def test_codecommit_urls(url, codecommit):
    assert internet.is_codecommit_url(url) is codecommit
