"""The comparison models of bench/run.py: a minimal SimPy model (a process per customer and a
``simpy.Resource`` per tier) and Ciw, each keeping only waiting times. Each imports only its
own tool, so that a subprocess timing one of them pays only that tool's start-up.

    python bench/models.py simpy_network 200000 0    # one run, as bench/run.py starts it
"""

from __future__ import annotations

import random
import sys

# -- minimal SimPy models -----------------------------------------------------------------

def simpy_mmc(customers: int, rate: float, mean: float, servers: int, seed: int) -> float:
    import simpy

    rng = random.Random(seed)
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=servers)
    waits: list[float] = []

    def customer(env: simpy.Environment):  # type: ignore[no-untyped-def]
        arrived = env.now
        with desk.request() as req:
            yield req
            waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(1 / mean))

    def source(env: simpy.Environment):  # type: ignore[no-untyped-def]
        for _ in range(customers):
            yield env.timeout(rng.expovariate(rate))
            env.process(customer(env))

    env.process(source(env))
    env.run()
    return sum(waits) / len(waits)


def simpy_network(customers: int, seed: int) -> float:
    import simpy

    rng = random.Random(seed)
    env = simpy.Environment()
    tiers = [(simpy.Resource(env, capacity=c), mean) for c, mean in
             ((12, 15.0), (5, 60.0), (2, 240.0))]
    waits: list[float] = []

    def ticket(env: simpy.Environment):  # type: ignore[no-untyped-def]
        for level, (res, mean) in enumerate(tiers):
            queued = env.now
            with res.request() as req:
                yield req
                waits.append(env.now - queued)
                yield env.timeout(rng.expovariate(1 / mean))
            if level == 2 or rng.random() >= 0.1:
                return

    def source(env: simpy.Environment):  # type: ignore[no-untyped-def]
        for _ in range(customers):
            yield env.timeout(rng.expovariate(40 / 60))
            env.process(ticket(env))

    env.process(source(env))
    env.run()
    return sum(waits) / len(waits)


# -- Ciw models ------------------------------------------------------------------------------

def ciw_mmc(customers: int, rate: float, mean: float, servers: int, seed: int) -> float:
    import ciw

    ciw.seed(seed)
    net = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(rate)],
                             service_distributions=[ciw.dists.Exponential(1 / mean)],
                             number_of_servers=[servers])
    sim = ciw.Simulation(net)
    sim.simulate_until_max_customers(customers, method="Arrive")
    recs = sim.get_all_records()
    return sum(r.waiting_time for r in recs) / len(recs)


def ciw_network(customers: int, seed: int) -> float:
    import ciw

    ciw.seed(seed)
    net = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(40 / 60), None, None],
        service_distributions=[ciw.dists.Exponential(1 / 15), ciw.dists.Exponential(1 / 60),
                               ciw.dists.Exponential(1 / 240)],
        routing=[[0.0, 0.1, 0.0], [0.0, 0.0, 0.1], [0.0, 0.0, 0.0]],
        number_of_servers=[12, 5, 2])
    sim = ciw.Simulation(net)
    sim.simulate_until_max_customers(customers, method="Arrive")
    recs = sim.get_all_records()
    return sum(r.waiting_time for r in recs) / len(recs)


if __name__ == "__main__":
    name, customers, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    print(globals()[name](customers, seed))
