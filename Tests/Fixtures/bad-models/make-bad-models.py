#!/usr/bin/env python3
"""Writes the wrong-shaped face models the shim's shape checks are tested with (issue 15 item 4).

  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install onnx   # onnx 1.23 from PyPI
  /tmp/venv/bin/python Tests/Fixtures/bad-models/make-bad-models.py

yunet-wrong-shapes.onnx: an ONNX graph with YuNet's input and its twelve output names (cls/obj/bbox/kps at
strides 8, 16, 32), each output a GlobalAveragePool of the input: 3 values where YuNet has one per cell.
res10-wrong-shapes.prototxt + .caffemodel: a Caffe net whose only output, detection_out, is a global average
pool of the 300x300 input, shape 1x3x1x1 instead of res10's 1x1xNx7; the .caffemodel is an empty NetParameter
(the net has no weights).
"""
import os
import onnx
from onnx import TensorProto, helper

here = os.path.dirname(os.path.abspath(__file__))

names = [f"{head}_{stride}" for head in ("cls", "obj", "bbox", "kps") for stride in (8, 16, 32)]
nodes = [helper.make_node("GlobalAveragePool", ["input"], [name], name=f"pool_{name}") for name in names]
graph = helper.make_graph(
    nodes, "yunet-wrong-shapes",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, "height", "width"])],
    [helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, 3, 1, 1]) for name in names])
model = helper.make_model(graph, producer_name="datasetkit-tests", opset_imports=[helper.make_opsetid("", 11)])
model.ir_version = 7
onnx.checker.check_model(model)
onnx.save(model, os.path.join(here, "yunet-wrong-shapes.onnx"))

with open(os.path.join(here, "res10-wrong-shapes.prototxt"), "w") as f:
    f.write('''name: "res10-wrong-shapes"
input: "data"
input_shape { dim: 1 dim: 3 dim: 300 dim: 300 }
layer {
  name: "detection_out"
  type: "Pooling"
  bottom: "data"
  top: "detection_out"
  pooling_param { pool: AVE global_pooling: true }
}
''')
open(os.path.join(here, "res10-wrong-shapes.caffemodel"), "wb").close()
