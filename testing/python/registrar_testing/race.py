"""Several users at once: every action waits at a barrier until all are
ready, then all go together, and every outcome is returned."""

import threading
from collections import Counter
from typing import Callable, List


class Outcomes(list):
    """What each action returned, in the order the actions were given."""

    @property
    def statuses(self) -> List[int]:
        """Each outcome's `status` (a `Page`'s), in order."""
        return [getattr(outcome, "status", None) for outcome in self]

    def count_of(self, status: int) -> int:
        return self.statuses.count(status)

    @property
    def tally(self) -> Counter:
        """`{303: 1, 409: 1}`."""
        return Counter(self.statuses)


def race(*actions: Callable[[], object], timeout: float = 60) -> Outcomes:
    """Runs each action in a thread of its own, all released together from a
    barrier once every thread is ready; returns every action's result. An
    action that raises makes `race` raise that exception once all are done."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)
    errors: list = [None] * len(actions)

    def run(i: int, action: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout)
            results[i] = action()
        except BaseException as error:  # re-raised in the test's thread
            errors[i] = error

    threads = [threading.Thread(target=run, args=(i, a), daemon=True) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        if thread.is_alive():
            raise TimeoutError(f"an action of the race ran longer than {timeout}s")
    for error in errors:
        if error is not None:
            raise error
    return Outcomes(results)
