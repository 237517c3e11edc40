// The Pulumi program's entry: every exported value becomes a stack output.
import { runProgram } from "./components/program";

export = runProgram();
