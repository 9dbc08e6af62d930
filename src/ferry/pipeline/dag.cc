#include "ferry/pipeline/dag.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace ferry::pipeline {

Dag Dag::Build(const PipelineSpec& spec) {
  Dag d;
  int n = static_cast<int>(spec.steps.size());
  d.needs_.resize(n);
  d.dependents_.resize(n);
  std::map<std::string, int> index;
  for (int i = 0; i < n; ++i) index.emplace(spec.steps[i].name, i);  // first wins
  for (int i = 0; i < n; ++i) {
    for (const auto& [name, pos] : spec.steps[i].needs) {
      auto it = index.find(name);
      if (it == index.end() || it->second == i) continue;
      int j = it->second;
      if (std::find(d.needs_[i].begin(), d.needs_[i].end(), j) != d.needs_[i].end()) continue;
      d.needs_[i].push_back(j);
      d.dependents_[j].push_back(i);
    }
  }
  return d;
}

std::vector<std::vector<int>> Dag::Cycles() const {
  int n = size();
  std::vector<int> color(n, 0);  // 0 new, 1 on stack, 2 done
  std::vector<int> stack;
  std::set<std::vector<int>> seen;
  std::vector<std::vector<int>> cycles;
  std::function<void(int)> visit = [&](int u) {
    color[u] = 1;
    stack.push_back(u);
    for (int v : needs_[u]) {
      if (color[v] == 1) {
        auto from = std::find(stack.begin(), stack.end(), v);
        std::vector<int> cycle(from, stack.end());
        // The path runs along `needs`; print it in that direction, rotated
        // to start at the step that comes first in the file.
        std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
        if (seen.insert(cycle).second) cycles.push_back(cycle);
      } else if (color[v] == 0) {
        visit(v);
      }
    }
    stack.pop_back();
    color[u] = 2;
  };
  for (int i = 0; i < n; ++i) {
    if (color[i] == 0) visit(i);
  }
  return cycles;
}

bool Dag::TransitivelyNeeds(int from, int to) const {
  std::vector<bool> seen(size(), false);
  std::vector<int> todo = {from};
  while (!todo.empty()) {
    int u = todo.back();
    todo.pop_back();
    for (int v : needs_[u]) {
      if (v == to) return true;
      if (!seen[v]) {
        seen[v] = true;
        todo.push_back(v);
      }
    }
  }
  return false;
}

std::vector<int> Dag::Downstream(int i) const {
  std::vector<bool> seen(size(), false);
  std::vector<int> out, todo = {i};
  while (!todo.empty()) {
    int u = todo.back();
    todo.pop_back();
    for (int v : dependents_[u]) {
      if (!seen[v]) {
        seen[v] = true;
        out.push_back(v);
        todo.push_back(v);
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ferry::pipeline
