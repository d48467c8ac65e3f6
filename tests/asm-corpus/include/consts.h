// consts.h: included by preproc.S
#ifndef CONSTS_H
#define CONSTS_H
#define FROM_HEADER 21
#endif
