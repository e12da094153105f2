"""planted.py - cases that must fail, each in its own way (see
tests/kernel/planted_test.c); tests/planted_check.py runs them and checks
that tests/run reports each as what it is and fails the run."""

CASES = [
    {
        "name": "planted-wrong-ktap",
        "cmdline": "test=planted_wrong",
        "ktap": True,
        "smp": 1,
    },
    {
        "name": "planted-hang",
        "cmdline": "test=planted_hang",
        "ktap": True,
        "smp": 1,
        "timeout": 45,
    },
    {
        "name": "planted-triplefault",
        "cmdline": "test=planted_triplefault",
        "expect_exit": 2,
        "smp": 1,
    },
]
