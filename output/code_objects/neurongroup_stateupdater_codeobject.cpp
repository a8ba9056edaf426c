#include "code_objects/neurongroup_stateupdater_codeobject.h"
#include "objects.h"
#include "brianlib/common_math.h"
#include "brianlib/stdint_compat.h"
#include<cmath>
#include<ctime>
#include<iostream>
#include<fstream>
#include<climits>

////// SUPPORT CODE ///////
namespace {
        
    template < typename T1, typename T2 > struct _higher_type;
    template < > struct _higher_type<int32_t,int32_t> { typedef int32_t type; };
    template < > struct _higher_type<int32_t,int64_t> { typedef int64_t type; };
    template < > struct _higher_type<int32_t,float> { typedef float type; };
    template < > struct _higher_type<int32_t,double> { typedef double type; };
    template < > struct _higher_type<int32_t,long double> { typedef long double type; };
    template < > struct _higher_type<int64_t,int32_t> { typedef int64_t type; };
    template < > struct _higher_type<int64_t,int64_t> { typedef int64_t type; };
    template < > struct _higher_type<int64_t,float> { typedef float type; };
    template < > struct _higher_type<int64_t,double> { typedef double type; };
    template < > struct _higher_type<int64_t,long double> { typedef long double type; };
    template < > struct _higher_type<float,int32_t> { typedef float type; };
    template < > struct _higher_type<float,int64_t> { typedef float type; };
    template < > struct _higher_type<float,float> { typedef float type; };
    template < > struct _higher_type<float,double> { typedef double type; };
    template < > struct _higher_type<float,long double> { typedef long double type; };
    template < > struct _higher_type<double,int32_t> { typedef double type; };
    template < > struct _higher_type<double,int64_t> { typedef double type; };
    template < > struct _higher_type<double,float> { typedef double type; };
    template < > struct _higher_type<double,double> { typedef double type; };
    template < > struct _higher_type<double,long double> { typedef long double type; };
    template < > struct _higher_type<long double,int32_t> { typedef long double type; };
    template < > struct _higher_type<long double,int64_t> { typedef long double type; };
    template < > struct _higher_type<long double,float> { typedef long double type; };
    template < > struct _higher_type<long double,double> { typedef long double type; };
    template < > struct _higher_type<long double,long double> { typedef long double type; };
    // General template, used for floating point types
    template < typename T1, typename T2 >
    static inline typename _higher_type<T1,T2>::type
    _brian_mod(T1 x, T2 y)
    {
        return x-y*floor(1.0*x/y);
    }
    // Specific implementations for integer types
    // (from Cython, see LICENSE file)
    template <>
    inline int32_t _brian_mod(int32_t x, int32_t y)
    {
        int32_t r = x % y;
        r += ((r != 0) & ((r ^ y) < 0)) * y;
        return r;
    }
    template <>
    inline int64_t _brian_mod(int32_t x, int64_t y)
    {
        int64_t r = x % y;
        r += ((r != 0) & ((r ^ y) < 0)) * y;
        return r;
    }
    template <>
    inline int64_t _brian_mod(int64_t x, int32_t y)
    {
        int64_t r = x % y;
        r += ((r != 0) & ((r ^ y) < 0)) * y;
        return r;
    }
    template <>
    inline int64_t _brian_mod(int64_t x, int64_t y)
    {
        int64_t r = x % y;
        r += ((r != 0) & ((r ^ y) < 0)) * y;
        return r;
    }
    // General implementation, used for floating point types
    template < typename T1, typename T2 >
    static inline typename _higher_type<T1,T2>::type
    _brian_floordiv(T1 x, T2 y)
    {{
        return floor(1.0*x/y);
    }}
    // Specific implementations for integer types
    // (from Cython, see LICENSE file)
    template <>
    inline int32_t _brian_floordiv<int32_t, int32_t>(int32_t a, int32_t b) {
        int32_t q = a / b;
        int32_t r = a - q*b;
        q -= ((r != 0) & ((r ^ b) < 0));
        return q;
    }
    template <>
    inline int64_t _brian_floordiv<int32_t, int64_t>(int32_t a, int64_t b) {
        int64_t q = a / b;
        int64_t r = a - q*b;
        q -= ((r != 0) & ((r ^ b) < 0));
        return q;
    }
    template <>
    inline int64_t _brian_floordiv<int64_t, int>(int64_t a, int32_t b) {
        int64_t q = a / b;
        int64_t r = a - q*b;
        q -= ((r != 0) & ((r ^ b) < 0));
        return q;
    }
    template <>
    inline int64_t _brian_floordiv<int64_t, int64_t>(int64_t a, int64_t b) {
        int64_t q = a / b;
        int64_t r = a - q*b;
        q -= ((r != 0) & ((r ^ b) < 0));
        return q;
    }
    #ifdef _MSC_VER
    #define _brian_pow(x, y) (pow((double)(x), (y)))
    #else
    #define _brian_pow(x, y) (pow((x), (y)))
    #endif

}

////// HASH DEFINES ///////



void _run_neurongroup_stateupdater_codeobject()
{
    using namespace brian;


    ///// CONSTANTS ///////////
    const double C = 1e-06;
const double EK = - 0.077;
const double EL = - 0.054387000000000005;
const double ENa = 0.05;
const size_t _numI = 1000;
const int64_t N = 1000;
const size_t _numdt = 1;
const double gK = 0.036000000000000004;
const double gL = 3e-05;
const double gNa = 0.12;
const size_t _numh = 1000;
const size_t _numm = 1000;
const double mV = 0.001;
const double ms = 0.001;
const size_t _numn = 1000;
const size_t _numnot_refractory = 1000;
const size_t _numv = 1000;
    ///// POINTERS ////////////
        
    double* __restrict  _ptr_array_neurongroup_I = _array_neurongroup_I;
    double*   _ptr_array_defaultclock_dt = _array_defaultclock_dt;
    double* __restrict  _ptr_array_neurongroup_h = _array_neurongroup_h;
    double* __restrict  _ptr_array_neurongroup_m = _array_neurongroup_m;
    double* __restrict  _ptr_array_neurongroup_n = _array_neurongroup_n;
    char* __restrict  _ptr_array_neurongroup_not_refractory = _array_neurongroup_not_refractory;
    double* __restrict  _ptr_array_neurongroup_v = _array_neurongroup_v;


    //// MAIN CODE ////////////
    // scalar code
    const size_t _vectorisation_idx = -1;
        
    const double dt = _ptr_array_defaultclock_dt[0];
    const double _lio_1 = 20.0 * mV;
    const double _lio_2 = 1.0f*0.002714194548220541/ms;
    const double _lio_3 = 1.0f*0.05/mV;
    const double _lio_4 = ms * 0.0301973834223185;
    const double _lio_5 = 1.0f*0.1/mV;
    const double _lio_6 = 1.0f*1.0/mV;
    const double _lio_7 = 4.0 * mV;
    const double _lio_8 = mV * ms;
    const double _lio_9 = (mV * ms) * 0.01831563888873418;
    const double _lio_10 = (- 4.0) * mV;
    const double _lio_11 = 1.0f*0.10808722380483629/ms;
    const double _lio_12 = 0.55 * mV;
    const double _lio_13 = (mV * ms) * 0.004086771438464067;
    const double _lio_14 = (- 0.55) * mV;
    const double _lio_15 = 1.0f*0.055468413760134984/ms;
    const double _lio_16 = 1.0f*(EL * gL)/C;
    const double _lio_17 = 1.0f*(EK * gK)/C;
    const double _lio_18 = 1.0f*(ENa * gNa)/C;
    const double _lio_19 = 1.0f*1.0/C;
    const double _lio_20 = 0.0 - (1.0f*gL/C);
    const double _lio_21 = 1.0f*(- gK)/C;
    const double _lio_22 = 1.0f*gNa/C;


    const int _N = N;
    
    for(int _idx=0; _idx<_N; _idx++)
    {
        // vector code
        const size_t _vectorisation_idx = _idx;
                
        const double I = _ptr_array_neurongroup_I[_idx];
        double h = _ptr_array_neurongroup_h[_idx];
        double m = _ptr_array_neurongroup_m[_idx];
        double n = _ptr_array_neurongroup_n[_idx];
        char not_refractory = _ptr_array_neurongroup_not_refractory[_idx];
        double v = _ptr_array_neurongroup_v[_idx];
        if(!not_refractory)
            not_refractory = false || (! (v > _lio_1));
        else 
            not_refractory = true || (! (v > _lio_1));
        const double _BA_h = 1.0f*(_lio_2 * exp(_lio_3 * (- v)))/((1.0f*(- 1.0)/(ms + (_lio_4 * exp(_lio_5 * (- v))))) - (1.0f*_lio_2/(_brian_pow(exp(_lio_6 * v), 0.05))));
        const double _h = (- _BA_h) + ((_BA_h + h) * exp(dt * ((1.0f*(- 1.0)/(ms + (_lio_4 * exp(_lio_5 * (- v))))) - (1.0f*_lio_2/(_brian_pow(exp(_lio_6 * v), 0.05))))));
        const double _BA_m = 1.0f*((1.0f*_lio_7/(_lio_8 - (_lio_9 * exp(_lio_5 * (- v))))) + (1.0f*(0.1 * v)/(_lio_8 - (_lio_9 * exp(_lio_5 * (- v))))))/((1.0f*_lio_10/(_lio_8 - (_lio_9 * exp(_lio_5 * (- v))))) - ((1.0f*(0.1 * v)/(_lio_8 - (_lio_9 * exp(_lio_5 * (- v))))) + (1.0f*_lio_11/(_brian_pow(exp(_lio_6 * v), 0.05555555555555555)))));
        const double _m = (- _BA_m) + ((_BA_m + m) * exp(dt * ((1.0f*_lio_10/(_lio_8 - (_lio_9 * exp(_lio_5 * (- v))))) - ((1.0f*(0.1 * v)/(_lio_8 - (_lio_9 * exp(_lio_5 * (- v))))) + (1.0f*_lio_11/(_brian_pow(exp(_lio_6 * v), 0.05555555555555555)))))));
        const double _BA_n = 1.0f*((1.0f*_lio_12/(_lio_8 - (_lio_13 * exp(_lio_5 * (- v))))) + (1.0f*(0.01 * v)/(_lio_8 - (_lio_13 * exp(_lio_5 * (- v))))))/((1.0f*_lio_14/(_lio_8 - (_lio_13 * exp(_lio_5 * (- v))))) - ((1.0f*(0.01 * v)/(_lio_8 - (_lio_13 * exp(_lio_5 * (- v))))) + (1.0f*_lio_15/(_brian_pow(exp(_lio_6 * v), 0.0125)))));
        const double _n = (- _BA_n) + ((_BA_n + n) * exp(dt * ((1.0f*_lio_14/(_lio_8 - (_lio_13 * exp(_lio_5 * (- v))))) - ((1.0f*(0.01 * v)/(_lio_8 - (_lio_13 * exp(_lio_5 * (- v))))) + (1.0f*_lio_15/(_brian_pow(exp(_lio_6 * v), 0.0125)))))));
        const double _BA_v = 1.0f*(_lio_16 + (((_lio_17 * (_brian_pow(n, 4))) + (_lio_18 * (h * (_brian_pow(m, 3))))) + (_lio_19 * I)))/((_lio_20 + (_lio_21 * (_brian_pow(n, 4)))) - (_lio_22 * (h * (_brian_pow(m, 3)))));
        const double _v = (- _BA_v) + ((_BA_v + v) * exp(dt * ((_lio_20 + (_lio_21 * (_brian_pow(n, 4)))) - (_lio_22 * (h * (_brian_pow(m, 3)))))));
        h = _h;
        m = _m;
        n = _n;
        v = _v;
        _ptr_array_neurongroup_h[_idx] = h;
        _ptr_array_neurongroup_m[_idx] = m;
        _ptr_array_neurongroup_n[_idx] = n;
        _ptr_array_neurongroup_not_refractory[_idx] = not_refractory;
        _ptr_array_neurongroup_v[_idx] = v;

    }

}


