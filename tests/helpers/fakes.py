"""Fakes shared by the evaluator tests."""

from rgbench.toy.judges import ToyVQA


class CountingVQA(ToyVQA):
    """The toy VQA, counting the questions it is asked (class-wide), to test what a resumed run re-asks."""

    asked = 0

    def ask(self, images, questions):
        CountingVQA.asked += len(questions)
        return super().ask(images, questions)
