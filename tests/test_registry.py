import pytest

from rgbench.registry import Registry, RegistryError


def test_register_get_names_and_decorator():
    reg: Registry = Registry("scorer")
    reg.register("b", 2)

    @reg.register("a")
    def fn():
        return 1

    assert reg.get("a") is fn
    assert reg.get("b") == 2
    assert reg.names() == ["a", "b"]
    assert "a" in reg and "c" not in reg and len(reg) == 2


def test_unknown_name_suggests_the_closest():
    reg: Registry = Registry("benchmark")
    reg.register("geneval", object())
    reg.register("dpg", object())
    with pytest.raises(RegistryError, match=r"unknown benchmark 'genevel' \(did you mean 'geneval'\?\)"):
        reg.get("genevel")
    with pytest.raises(RegistryError) as info:
        reg.get("zzzzzz")
    assert "did you mean" not in str(info.value) and "known: dpg, geneval" in str(info.value)


def test_duplicate_registration_fails_unless_replaced():
    reg: Registry = Registry("reward")
    reg.register("x", 1)
    with pytest.raises(RegistryError, match="already registered"):
        reg.register("x", 2)
    reg.register("x", 3, replace=True)
    assert reg.get("x") == 3


def test_lazy_entry_is_imported_on_first_get():
    reg: Registry = Registry("thing")
    reg.register("join", "os.path:join")
    import os.path

    assert reg.get("join") is os.path.join
