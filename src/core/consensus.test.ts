import { describe, expect, it } from "vitest";
import { decideAddress, type SourceAnswer } from "./consensus.ts";

const answers = (...list: string[]): SourceAnswer[] =>
  list.map((address, i) => ({ source: `s${i + 1}`, address }));

describe("decideAddress", () => {
  it.each<{
    case: string;
    got: string[];
    quorum: number;
    total: number;
    final: boolean;
    kind: string;
    address?: string;
  }>([
    {
      case: "3 of 3 agree",
      got: ["A", "A", "A"],
      quorum: 2,
      total: 3,
      final: true,
      kind: "known",
      address: "A",
    },
    {
      case: "2 of 3 agree, one differs",
      got: ["A", "B", "A"],
      quorum: 2,
      total: 3,
      final: true,
      kind: "known",
      address: "A",
    },
    {
      case: "2 agree, one failed",
      got: ["A", "A"],
      quorum: 2,
      total: 3,
      final: true,
      kind: "known",
      address: "A",
    },
    { case: "only one answered", got: ["A"], quorum: 2, total: 3, final: true, kind: "unavailable" },
    {
      case: "two answered and disagree",
      got: ["A", "B"],
      quorum: 2,
      total: 3,
      final: true,
      kind: "unavailable",
    },
    { case: "three-way split", got: ["A", "B", "C"], quorum: 1, total: 3, final: true, kind: "unavailable" },
    { case: "tie 2-2", got: ["A", "B", "A", "B"], quorum: 2, total: 4, final: true, kind: "unavailable" },
    {
      case: "quorum 1, single source",
      got: ["A"],
      quorum: 1,
      total: 1,
      final: true,
      kind: "known",
      address: "A",
    },
    {
      case: "quorum not met though unanimous",
      got: ["A", "A"],
      quorum: 3,
      total: 3,
      final: true,
      kind: "unavailable",
    },
    { case: "no answers at all", got: [], quorum: 2, total: 3, final: true, kind: "unavailable" },
    {
      case: "majority but under quorum",
      got: ["A", "A", "B"],
      quorum: 3,
      total: 5,
      final: true,
      kind: "unavailable",
    },
    {
      case: "early: 2 of 3 agree, one pending",
      got: ["A", "A"],
      quorum: 2,
      total: 3,
      final: false,
      kind: "known",
      address: "A",
    },
    { case: "early: 1 of 3, wait", got: ["A"], quorum: 2, total: 3, final: false, kind: "pending" },
    {
      case: "early: 2 of 4 could still be tied, wait",
      got: ["A", "A"],
      quorum: 2,
      total: 4,
      final: false,
      kind: "pending",
    },
    {
      case: "early: 3 of 4 is safe",
      got: ["A", "B", "A", "A"],
      quorum: 2,
      total: 4,
      final: false,
      kind: "known",
      address: "A",
    },
  ])("$case", ({ got, quorum, total, final, kind, address }) => {
    const decision = decideAddress(answers(...got), { quorum, total, final });
    expect(decision.kind).toBe(kind);
    if (address) expect(decision).toMatchObject({ address });
  });

  it("lists the minority answers with their sources", () => {
    const decision = decideAddress(answers("A", "B", "A"), { quorum: 2, total: 3, final: true });
    expect(decision).toEqual({
      kind: "known",
      address: "A",
      agreeing: ["s1", "s3"],
      minority: [{ source: "s2", address: "B" }],
    });
  });

  it("explains a disagreement with every address and its sources", () => {
    const decision = decideAddress(answers("A", "B"), { quorum: 2, total: 2, final: true });
    expect(decision.kind === "unavailable" && decision.reason).toBe("the sources disagree: A (s1) vs B (s2)");
  });
});
